package dev.unmask.media.detect;

import dev.unmask.media.face.FaceEvidence;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --frames auto}: a video's frames are scored in stages that are nested subsets of the
 * fixed grid of {@code gridFrames} (32) evenly spaced frames: a quarter of them (every 4th), then
 * half (every 2nd), then all ({@link dev.unmask.media.video.FrameSchedule#stages}), and sampling
 * stops after a stage when the verdict the whole grid would give is unlikely to differ.
 *
 * <p><b>The rule.</b> After a stage with {@code n} of the grid's {@code N} frames sampled, each face
 * track with {@code k} scored frames, mean {@code m} and standard deviation {@code s} gets the
 * interval {@code m +- z * max(s, minSpread) * sqrt((1 - n/N) / k)}: a confidence interval for the
 * mean over the whole grid, which the stage's frames are a sample of (the finite-population
 * correction {@code 1 - n/N} makes it shrink to nothing when every frame has been seen;
 * {@code minSpread} keeps a few equal scores from claiming certainty). The file's score is its
 * highest track mean, so sampling stops with
 * <ul>
 *   <li><b>fake</b> when one track's interval lies wholly at or above the threshold and the track is
 *       already seen in as many frames as the whole grid would need ({@link FaceEvidence#framesNeeded}
 *       of N): more frames only add faces, and can only raise the maximum;</li>
 *   <li><b>real</b> when every track's interval lies wholly below the threshold and every track seen
 *       is already seen in as many frames as the whole grid would need: a face seen too rarely so
 *       far might be judged, and fake, with more frames (or not judged at all, making the file
 *       no_face);</li>
 *   <li><b>no face</b> when half the grid or more holds no detection at all, not even a weak one. Not
 *       after the first stage: on simulated videos, faces found in a few scattered frames or a
 *       short stretch were missed by the first quarter often enough to break the 1% bound.</li>
 * </ul>
 * Otherwise the next stage is sampled; after the last, the verdict is the whole grid's. The report
 * uses the face-support rule with n = the frames sampled, as a fixed {@code --frames n} would.
 * {@code z} and {@code minSpread} were chosen on simulated videos (AdaptiveSamplingTest): per-video
 * means near and far from the threshold, autocorrelated frame noise, scene changes, faces missing
 * from part of the video; the verdict differs from the whole grid's in under 1% of them.
 */
public record AdaptiveSampling(int gridFrames, double z, double minSpread) {
    public static final AdaptiveSampling DEFAULT = new AdaptiveSampling(32, 3.0, 0.05);

    public AdaptiveSampling {
        if (gridFrames < 1) {
            throw new IllegalArgumentException("grid of at least one frame, got " + gridFrames);
        }
    }

    /** The rule in words, for reports. */
    public static String describe() {
        return String.format(Locale.ROOT, "auto: a quarter, then half, then all of the grid's frames; stops when each face's mean +- %.1f sd"
                + " x sqrt((1 - n/N)/k) (sd at least %.2f) lies on one side of the threshold and the faces are seen in enough frames,"
                + " or when half the grid shows no detection at all", DEFAULT.z(), DEFAULT.minSpread());
    }

    /** Whether to stop after a stage, and why, in words (for the report). */
    public record Decision(boolean stop, String reason) {}

    /**
     * @param sampled    frames of the grid sampled so far (n)
     * @param tracks     each confident face track's scores so far (one per frame it was found in)
     * @param anyWeak    whether any detection too weak to be a face was seen
     */
    public Decision decide(int sampled, Map<Integer, double[]> tracks, boolean anyWeak, FaceEvidence evidence, double threshold) {
        if (sampled >= gridFrames) {
            return new Decision(true, "every frame of the grid sampled");
        }
        if (tracks.isEmpty()) {
            if (anyWeak || 2 * sampled < gridFrames) {
                return new Decision(false, anyWeak ? "weak detections only: more frames may show a face"
                        : "no face yet: a face found in a few scattered frames may be in the others");
            }
            return new Decision(true, String.format(Locale.ROOT, "no detection at all in %d evenly spaced frames", sampled));
        }
        int neededAtEnd = evidence.framesNeeded(gridFrames);
        boolean allJudgedAndBelow = true;
        for (Map.Entry<Integer, double[]> e : tracks.entrySet()) {
            double[] s = e.getValue();
            int k = s.length;
            double mean = 0;
            for (double v : s) {
                mean += v;
            }
            mean /= k;
            double var = 0;
            for (double v : s) {
                var += (v - mean) * (v - mean);
            }
            double sd = k > 1 ? Math.sqrt(var / (k - 1)) : 0;
            double half = halfWidth(sd, k, sampled);
            if (k >= neededAtEnd && mean - half >= threshold) {
                return new Decision(true, String.format(Locale.ROOT, "face %d's mean %.3f +- %.3f lies above the threshold %.3f after %d frames",
                        e.getKey(), mean, half, threshold, sampled));
            }
            if (k < neededAtEnd || mean + half >= threshold) {
                allJudgedAndBelow = false;
            }
        }
        if (allJudgedAndBelow) {
            return new Decision(true, String.format(Locale.ROOT, "every face's mean lies below the threshold %.3f by more than its margin after %d frames",
                    threshold, sampled));
        }
        return new Decision(false, "a face's mean is within its margin of the threshold, or a face is not judged yet");
    }

    /** Half-width of a track's interval for the grid's mean: {@code z * max(sd, minSpread) * sqrt((1 - n/N) / k)}. */
    public double halfWidth(double sd, int k, int sampled) {
        double fpc = Math.max(0, 1 - (double) sampled / gridFrames);
        return z * Math.max(sd, minSpread) * Math.sqrt(fpc / k);
    }
}
