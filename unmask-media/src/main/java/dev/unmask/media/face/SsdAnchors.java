package dev.unmask.media.face;

import java.util.ArrayList;
import java.util.List;

/**
 * SSD anchor centres and sizes, computed the way MediaPipe's SsdAnchorsCalculator does, so that
 * the options can be copied from MediaPipe's graph files unchanged.
 */
final class SsdAnchors {
    /** MediaPipe's SsdAnchorsCalculatorOptions (the fields the face models use). */
    record Options(int inputWidth, int inputHeight, double minScale, double maxScale, double anchorOffsetX, double anchorOffsetY,
            int[] strides, double[] aspectRatios, double interpolatedScaleAspectRatio, boolean fixedAnchorSize) {}

    /** One anchor: centre and size, as fractions of the input. */
    record Anchor(double xCenter, double yCenter, double width, double height) {}

    /**
     * face_detection_full_range_common.pbtxt: one layer of stride 4 on a 192×192 input → a
     * 48×48 grid with one fixed-size anchor per cell, 2304 in all.
     */
    static final Options FULL_RANGE = new Options(192, 192, 0.1484375, 0.75, 0.5, 0.5, new int[] {4}, new double[] {1.0}, 0.0, true);

    private SsdAnchors() {}

    static List<Anchor> generate(Options o) {
        List<Anchor> anchors = new ArrayList<>();
        int layer = 0;
        int n = o.strides().length;
        while (layer < n) {
            List<Double> heights = new ArrayList<>();
            List<Double> widths = new ArrayList<>();
            int last = layer;
            // Consecutive layers with the same stride share one grid.
            while (last < n && o.strides()[last] == o.strides()[layer]) {
                double scale = scale(o.minScale(), o.maxScale(), last, n);
                for (double ar : o.aspectRatios()) {
                    heights.add(scale / Math.sqrt(ar));
                    widths.add(scale * Math.sqrt(ar));
                }
                if (o.interpolatedScaleAspectRatio() > 0) {
                    double next = last == n - 1 ? 1.0 : scale(o.minScale(), o.maxScale(), last + 1, n);
                    double s = Math.sqrt(scale * next);
                    double ar = o.interpolatedScaleAspectRatio();
                    heights.add(s / Math.sqrt(ar));
                    widths.add(s * Math.sqrt(ar));
                }
                last++;
            }
            int stride = o.strides()[layer];
            int rows = (int) Math.ceil((double) o.inputHeight() / stride);
            int cols = (int) Math.ceil((double) o.inputWidth() / stride);
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    for (int a = 0; a < heights.size(); a++) {
                        double cx = (x + o.anchorOffsetX()) / cols;
                        double cy = (y + o.anchorOffsetY()) / rows;
                        anchors.add(o.fixedAnchorSize() ? new Anchor(cx, cy, 1, 1) : new Anchor(cx, cy, widths.get(a), heights.get(a)));
                    }
                }
            }
            layer = last;
        }
        return anchors;
    }

    private static double scale(double min, double max, int index, int count) {
        return count == 1 ? (min + max) * 0.5 : min + (max - min) * index / (count - 1.0);
    }
}
