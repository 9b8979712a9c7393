package dev.unmask.media.video;

/**
 * Which frames to keep: N instants evenly spaced in presentation time, at the middle of N equal
 * spans of the video, each taking the frame on screen at that instant. Time, not frame index,
 * so that variable-frame-rate videos are sampled evenly; a clip with fewer frames than N gives
 * each of its frames once.
 */
public final class FrameSchedule {
    private FrameSchedule() {}

    /** Instants (in the unit of start and span) for n samples. */
    public static double[] instants(double start, double span, int n) {
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = start + (i + 0.5) * span / n;
        }
        return t;
    }

    /**
     * Indices into {@code timestamps} (sorted, distinct) of the frames on screen at each of the n
     * instants, distinct and ascending. The last frame is taken to last as long as the interval
     * before it (the local rate, which is what a variable-frame-rate tail has).
     */
    public static int[] pick(long[] timestamps, int n) {
        int k = timestamps.length;
        if (k == 0) {
            return new int[0];
        }
        if (k <= n) {
            int[] all = new int[k];
            for (int i = 0; i < k; i++) {
                all[i] = i;
            }
            return all;
        }
        double span = timestamps[k - 1] - timestamps[0] + Math.max(1, timestamps[k - 1] - timestamps[k - 2]);
        double[] at = instants(timestamps[0], span, n);
        int[] out = new int[n];
        int count = 0;
        int j = 0;
        for (double t : at) {
            while (j + 1 < k && timestamps[j + 1] <= t) {
                j++;
            }
            if (count == 0 || out[count - 1] != j) {
                out[count++] = j;
            }
        }
        return java.util.Arrays.copyOf(out, count);
    }

    /**
     * The grid of n slots (instants) split into nested stages for adaptive sampling: every 4th
     * slot (2, 6, 10, ...), then the other even ones, then the odd ones, so that after each stage
     * the slots sampled are a quarter, a half and all of the grid, each spread evenly over the
     * video. Fewer than 8 slots make a single stage.
     */
    public static int[][] stages(int n) {
        if (n < 8) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return new int[][] {all};
        }
        return new int[][] {slots(n, 4, 2), slots(n, 4, 0), slots(n, 2, 1)};
    }

    private static int[] slots(int n, int step, int offset) {
        return java.util.stream.IntStream.range(0, n).filter(i -> i % step == offset).toArray();
    }

    /**
     * For each of the n instants, the index into {@code timestamps} (sorted, distinct) of the frame
     * on screen then; neighbouring slots may name the same frame when the clip has fewer than n.
     */
    public static int[] slotFrames(long[] timestamps, int n) {
        int k = timestamps.length;
        int[] out = new int[n];
        if (k == 0) {
            return out;
        }
        if (k <= n) {
            // As pick: each frame once, the slots spread over them.
            for (int i = 0; i < n; i++) {
                out[i] = (int) Math.min(k - 1, (long) i * k / n);
            }
            return out;
        }
        double span = timestamps[k - 1] - timestamps[0] + Math.max(1, timestamps[k - 1] - timestamps[k - 2]);
        double[] at = instants(timestamps[0], span, n);
        int j = 0;
        for (int i = 0; i < n; i++) {
            while (j + 1 < k && timestamps[j + 1] <= at[i]) {
                j++;
            }
            out[i] = j;
        }
        return out;
    }
}
