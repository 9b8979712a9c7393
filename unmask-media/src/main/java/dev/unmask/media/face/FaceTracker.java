package dev.unmask.media.face;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Follows faces across sampled frames by box overlap, so that each person gets a track (and,
 * later, a score) of their own. Greedy: the best-overlapping (face, track) pairs are matched
 * first; a face overlapping no track enough starts a new one. A track remembers its last box,
 * so a person missed in a frame or two is picked up again.
 */
public final class FaceTracker {
    /** Samples are a fraction of a second apart; a face rarely moves more than its own width. */
    public static final double DEFAULT_MIN_IOU = 0.25;

    private final double minIou;
    private final List<Box> lastBoxes = new ArrayList<>();

    public FaceTracker(double minIou) {
        this.minIou = minIou;
    }

    /** Track ids (0, 1, … in order of first appearance) for one frame's faces, in the faces' order. */
    public int[] assign(List<Face> faces) {
        int[] ids = new int[faces.size()];
        java.util.Arrays.fill(ids, -1);
        record Pair(int face, int track, double iou) {}
        List<Pair> pairs = new ArrayList<>();
        for (int f = 0; f < faces.size(); f++) {
            for (int t = 0; t < lastBoxes.size(); t++) {
                double iou = faces.get(f).box().iou(lastBoxes.get(t));
                if (iou >= minIou) {
                    pairs.add(new Pair(f, t, iou));
                }
            }
        }
        pairs.sort(Comparator.comparingDouble(Pair::iou).reversed());
        boolean[] trackTaken = new boolean[lastBoxes.size()];
        for (Pair p : pairs) {
            if (ids[p.face()] < 0 && !trackTaken[p.track()]) {
                ids[p.face()] = p.track();
                trackTaken[p.track()] = true;
            }
        }
        for (int f = 0; f < faces.size(); f++) {
            if (ids[f] < 0) {
                ids[f] = lastBoxes.size();
                lastBoxes.add(faces.get(f).box());
            } else {
                lastBoxes.set(ids[f], faces.get(f).box());
            }
        }
        return ids;
    }
}
