package dev.unmask.core.vit.layers;

/**
 * How a family resizes its learned position-embedding grid to another input size. The three
 * research code bases disagree, and the differences are far above float noise:
 * <ul>
 *   <li>DINOv2 (no registers) and DINO v1 call {@code F.interpolate(scale_factor=(g+0.1)/M)}: the
 *       output size is {@code floor(M·sf) = g} but sampling uses the offset scale;</li>
 *   <li>DINOv2 with registers and timm call {@code F.interpolate(size=g, antialias=True)}, whose
 *       bicubic is PIL's (a = −0.5, support widened when shrinking).</li>
 * </ul>
 * An {@code offset} of 0 means "resize by size"; otherwise by scale factor {@code (g+offset)/M}.
 */
public record PositionResampling(double offset, boolean antialias) {
    public static final PositionResampling DINOV2 = new PositionResampling(0.1, false);
    public static final PositionResampling DINOV2_REGISTERS = new PositionResampling(0.0, true);
    public static final PositionResampling DINO_V1 = new PositionResampling(0.1, false);
    public static final PositionResampling TIMM = new PositionResampling(0.0, true);

    /**
     * Resizes a channel-last grid {@code src[inRows*inCols][dim]} to {@code outRows × outCols}, the
     * way {@code F.interpolate(..., mode='bicubic', align_corners=False)} does in PyTorch.
     */
    public float[][] resample(float[][] src, int inRows, int inCols, int outRows, int outCols) {
        double scaleRows = offset != 0 ? inRows / (outRows + offset) : (double) inRows / outRows;
        double scaleCols = offset != 0 ? inCols / (outCols + offset) : (double) inCols / outCols;
        double[][] wr = weights(inRows, outRows, scaleRows);
        double[][] wc = weights(inCols, outCols, scaleCols);
        int dim = src[0].length;
        // Separable: rows first into doubles, then columns, as the kernels are outer products.
        double[][] tmp = new double[outRows * inCols][dim];
        for (int o = 0; o < outRows; o++) {
            double[] w = wr[o];
            for (int i = 0; i < inRows; i++) {
                if (w[i] == 0) {
                    continue;
                }
                for (int c = 0; c < inCols; c++) {
                    float[] s = src[i * inCols + c];
                    double[] t = tmp[o * inCols + c];
                    for (int d = 0; d < dim; d++) {
                        t[d] += w[i] * s[d];
                    }
                }
            }
        }
        float[][] out = new float[outRows * outCols][dim];
        for (int r = 0; r < outRows; r++) {
            for (int o = 0; o < outCols; o++) {
                double[] w = wc[o];
                double[] acc = new double[dim];
                for (int c = 0; c < inCols; c++) {
                    if (w[c] == 0) {
                        continue;
                    }
                    double[] t = tmp[r * inCols + c];
                    for (int d = 0; d < dim; d++) {
                        acc[d] += w[c] * t[d];
                    }
                }
                float[] dst = out[r * outCols + o];
                for (int d = 0; d < dim; d++) {
                    dst[d] = (float) acc[d];
                }
            }
        }
        return out;
    }

    /** weights[out][in]: the 1-D interpolation matrix along one axis. */
    double[][] weights(int in, int out, double scale) {
        double[][] w = new double[out][in];
        for (int o = 0; o < out; o++) {
            if (antialias) {
                antialiasRow(w[o], in, o, scale);
            } else {
                cubicRow(w[o], in, o, scale);
            }
        }
        return w;
    }

    /** PyTorch's upsample_bicubic2d: a = −0.75, four taps, indices clamped to the border. */
    private static void cubicRow(double[] row, int in, int o, double scale) {
        double src = scale * (o + 0.5) - 0.5;
        int x0 = (int) Math.floor(src);
        double t = src - x0;
        double a = -0.75;
        double[] k = {
            cubic2(t + 1, a), cubic1(t, a), cubic1(1 - t, a), cubic2(2 - t, a)
        };
        for (int j = 0; j < 4; j++) {
            int idx = Math.min(Math.max(x0 - 1 + j, 0), in - 1);
            row[idx] += k[j];
        }
    }

    private static double cubic1(double x, double a) {
        return ((a + 2) * x - (a + 3)) * x * x + 1;
    }

    private static double cubic2(double x, double a) {
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }

    /** PyTorch's _upsample_bicubic2d_aa (PIL's algorithm): a = −0.5, support scaled when shrinking. */
    private static void antialiasRow(double[] row, int in, int o, double scale) {
        double support = scale >= 1.0 ? 2.0 * scale : 2.0;
        double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
        double center = scale * (o + 0.5);
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), in);
        double total = 0;
        double[] w = new double[Math.max(xmax - xmin, 0)];
        for (int j = 0; j < w.length; j++) {
            w[j] = aaFilter((j + xmin - center + 0.5) * invScale);
            total += w[j];
        }
        for (int j = 0; j < w.length; j++) {
            row[xmin + j] = total != 0 ? w[j] / total : 0;
        }
    }

    private static double aaFilter(double x) {
        double a = -0.5;
        double ax = Math.abs(x);
        if (ax < 1) {
            return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
        }
        if (ax < 2) {
            return (((ax - 5) * ax + 8) * ax - 4) * a;
        }
        return 0;
    }
}
