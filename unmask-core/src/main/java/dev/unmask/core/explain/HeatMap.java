package dev.unmask.core.explain;

/**
 * A heat map over a model input, one value per patch of the ViT's grid (row-major), shown at
 * pixel resolution by repeating each value over its patch, as the paper's figures do.
 */
public record HeatMap(int gridHeight, int gridWidth, int patchSize, float[] grid) {
    public HeatMap {
        if (gridHeight <= 0 || gridWidth <= 0 || patchSize <= 0 || grid.length != gridHeight * gridWidth) {
            throw new IllegalArgumentException("heat map " + gridHeight + "x" + gridWidth + " with " + grid.length + " values");
        }
        grid = grid.clone();
    }

    public int height() {
        return gridHeight * patchSize;
    }

    public int width() {
        return gridWidth * patchSize;
    }

    /** Scaled to [0, 1] by its own minimum and maximum; a flat map (nothing to show) becomes all zeros. */
    public HeatMap normalised() {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : grid) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float[] out = new float[grid.length];
        float range = max - min;
        if (range > 0 && Float.isFinite(range)) {
            for (int i = 0; i < grid.length; i++) {
                out[i] = (grid[i] - min) / range;
            }
        }
        return new HeatMap(gridHeight, gridWidth, patchSize, out);
    }

    /** Value at pixel (x, y) of the model input: nearest-neighbour upsampling by the patch size. */
    public float at(int x, int y) {
        return grid[(y / patchSize) * gridWidth + x / patchSize];
    }

    /**
     * The share of the map's total heat that falls inside the pixel rectangle [x0, x1) × [y0, y1)
     * of the model input; NaN for a map without heat. A map spread evenly scores the rectangle's
     * area share, the baseline an explanation must beat.
     */
    public double heatFractionInside(int x0, int y0, int x1, int y1) {
        double inside = 0;
        double total = 0;
        for (int y = 0; y < height(); y++) {
            for (int x = 0; x < width(); x++) {
                double v = at(x, y);
                total += v;
                if (x >= x0 && x < x1 && y >= y0 && y < y1) {
                    inside += v;
                }
            }
        }
        return total > 0 ? inside / total : Double.NaN;
    }
}
