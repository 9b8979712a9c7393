package dev.unmask.media.face;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns BlazeFace's raw outputs into faces, as MediaPipe's TensorsToDetectionsCalculator and
 * NonMaxSuppressionCalculator do with the full-range options: per anchor 16 regressors
 * (box centre x, y, width, height, then six keypoints x, y; offsets in input pixels relative to
 * the anchor) and one logit; sigmoid of the logit clipped to ±100; scores below 0.6 dropped;
 * weighted non-maximum suppression at IoU 0.3. Coordinates come out as fractions of the input.
 */
final class BlazeFaceDecoder {
    static final int COORDS = 16;
    static final int KEYPOINTS = 6;
    static final double SCALE = 192.0;
    static final double SCORE_CLIP = 100.0;
    static final double MIN_SCORE = 0.6;
    static final double NMS_IOU = 0.3;

    private final List<SsdAnchors.Anchor> anchors;

    BlazeFaceDecoder(List<SsdAnchors.Anchor> anchors) {
        this.anchors = List.copyOf(anchors);
    }

    int anchorCount() {
        return anchors.size();
    }

    /** A face in input fractions: box as (xmin, ymin, w, h), keypoints flattened x, y. */
    record Raw(double xmin, double ymin, double w, double h, double score, double[] keypoints) {
        Box box() {
            return new Box(xmin, ymin, w, h);
        }
    }

    List<Raw> decode(float[] regressors, float[] logits) {
        int n = anchors.size();
        if (regressors.length != n * COORDS || logits.length != n) {
            throw new IllegalStateException("BlazeFace output sizes " + regressors.length + ", " + logits.length + " do not fit " + n + " anchors");
        }
        List<Raw> found = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double logit = Math.max(-SCORE_CLIP, Math.min(SCORE_CLIP, logits[i]));
            double score = 1 / (1 + Math.exp(-logit));
            if (score < MIN_SCORE) {
                continue;
            }
            SsdAnchors.Anchor a = anchors.get(i);
            int o = i * COORDS;
            // reverse_output_order: x before y, width before height.
            double cx = regressors[o] / SCALE * a.width() + a.xCenter();
            double cy = regressors[o + 1] / SCALE * a.height() + a.yCenter();
            double w = regressors[o + 2] / SCALE * a.width();
            double h = regressors[o + 3] / SCALE * a.height();
            double[] kp = new double[KEYPOINTS * 2];
            for (int k = 0; k < KEYPOINTS; k++) {
                kp[2 * k] = regressors[o + 4 + 2 * k] / SCALE * a.width() + a.xCenter();
                kp[2 * k + 1] = regressors[o + 5 + 2 * k] / SCALE * a.height() + a.yCenter();
            }
            if (w > 0 && h > 0) {
                found.add(new Raw(cx - w / 2, cy - h / 2, w, h, score, kp));
            }
        }
        return weightedNms(found);
    }

    /**
     * MediaPipe's WEIGHTED algorithm: the best remaining detection absorbs every detection that
     * overlaps it by more than the threshold, and its box and keypoints become their
     * score-weighted mean; it keeps its own score.
     */
    static List<Raw> weightedNms(List<Raw> detections) {
        List<Raw> remaining = new ArrayList<>(detections);
        remaining.sort(Comparator.comparingDouble(Raw::score).reversed());
        List<Raw> out = new ArrayList<>();
        while (!remaining.isEmpty()) {
            Raw best = remaining.get(0);
            List<Raw> cluster = new ArrayList<>();
            List<Raw> rest = new ArrayList<>();
            for (Raw r : remaining) {
                (best.box().iou(r.box()) > NMS_IOU ? cluster : rest).add(r);
            }
            double total = 0;
            double x0 = 0;
            double y0 = 0;
            double x1 = 0;
            double y1 = 0;
            double[] kp = new double[best.keypoints().length];
            for (Raw r : cluster) {
                total += r.score();
                x0 += r.score() * r.xmin();
                y0 += r.score() * r.ymin();
                x1 += r.score() * (r.xmin() + r.w());
                y1 += r.score() * (r.ymin() + r.h());
                for (int k = 0; k < kp.length; k++) {
                    kp[k] += r.score() * r.keypoints()[k];
                }
            }
            for (int k = 0; k < kp.length; k++) {
                kp[k] /= total;
            }
            out.add(new Raw(x0 / total, y0 / total, (x1 - x0) / total, (y1 - y0) / total, best.score(), kp));
            remaining = rest;
        }
        return out;
    }
}
