package dev.unmask.core.metrics;

import dev.unmask.core.UserError;
import java.util.Arrays;
import java.util.Locale;

/** How frame probabilities become one video probability. The paper uses the mean. */
public enum VideoAggregation {
    MEAN, MEDIAN, MAX;

    /** Parses {@code mean}, {@code median} or {@code max} (any case). */
    public static VideoAggregation parse(String name) {
        for (VideoAggregation a : values()) {
            if (a.name().equalsIgnoreCase(name.trim())) {
                return a;
            }
        }
        throw new UserError("unknown video aggregation '" + name + "'; use mean, median or max");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param frameScores per frame
     * @param video video index per frame, in {@code [0, videos)}; every video has at least one frame
     * @param videos number of videos
     * @return one score per video. The median of an even count is the mean of the middle two, as numpy's.
     */
    public double[] aggregate(double[] frameScores, int[] video, int videos) {
        // group frames by video with a counting sort: two int arrays, no per-video objects
        int[] start = new int[videos + 1];
        for (int v : video) {
            start[v + 1]++;
        }
        for (int v = 0; v < videos; v++) {
            if (start[v + 1] == 0) {
                throw new IllegalArgumentException("video " + v + " has no frames");
            }
            start[v + 1] += start[v];
        }
        int[] fill = Arrays.copyOf(start, videos);
        double[] grouped = new double[frameScores.length];
        for (int i = 0; i < frameScores.length; i++) {
            grouped[fill[video[i]]++] = frameScores[i];
        }
        double[] out = new double[videos];
        for (int v = 0; v < videos; v++) {
            int from = start[v];
            int to = start[v + 1];
            switch (this) {
                case MEAN -> {
                    double sum = 0;
                    for (int i = from; i < to; i++) {
                        sum += grouped[i];
                    }
                    out[v] = sum / (to - from);
                }
                case MEDIAN -> {
                    Arrays.sort(grouped, from, to);
                    int count = to - from;
                    int mid = from + count / 2;
                    out[v] = count % 2 == 1 ? grouped[mid] : (grouped[mid - 1] + grouped[mid]) / 2.0;
                }
                case MAX -> {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = from; i < to; i++) {
                        max = Math.max(max, grouped[i]);
                    }
                    out[v] = max;
                }
            }
        }
        return out;
    }
}
