package dev.unmask.core.metrics;

import dev.unmask.core.UserError;
import java.util.Arrays;
import java.util.Locale;

/**
 * The one rule that turns frame probabilities into a video probability, for {@code detect},
 * {@code eval} and {@code metrics} alike: each face (track) of a video gets the aggregate of its
 * frames' scores, and the video the highest of its faces' (one fake face makes a fake video).
 * Where faces are not told apart (eval's and metrics' items carry no track), a video is one face.
 * The paper aggregates by the mean.
 */
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

    /** The rule in words, for reports. */
    public String rule() {
        return label() + " of a face's frame scores; a video with several faces takes its highest face's";
    }

    /** The aggregate of one face's frame scores (not empty). */
    public double of(double[] frameScores) {
        if (frameScores.length == 0) {
            throw new IllegalArgumentException("no frame scores");
        }
        double[] copy = frameScores.clone();
        return of(copy, 0, copy.length);
    }

    /**
     * A video's score from its frames' scores and the face (track) each belongs to: the highest
     * of the faces' aggregates.
     */
    public double videoScore(double[] frameScores, int[] track) {
        if (frameScores.length != track.length || frameScores.length == 0) {
            throw new IllegalArgumentException(frameScores.length + " frame scores for " + track.length + " tracks");
        }
        int tracks = Arrays.stream(track).max().orElseThrow() + 1;
        double[] perTrack = aggregate(frameScores, track, tracks, true);
        double max = Double.NEGATIVE_INFINITY;
        for (double v : perTrack) {
            if (!Double.isNaN(v)) {
                max = Math.max(max, v);
            }
        }
        return max;
    }

    /**
     * @param frameScores per frame
     * @param video video index per frame, in {@code [0, videos)}; every video has at least one frame
     * @param videos number of videos
     * @return one score per video. The median of an even count is the mean of the middle two, as numpy's.
     */
    public double[] aggregate(double[] frameScores, int[] video, int videos) {
        return aggregate(frameScores, video, videos, false);
    }

    /** As {@link #aggregate(double[], int[], int)}; with {@code gapsAllowed}, a group without frames gets NaN. */
    private double[] aggregate(double[] frameScores, int[] video, int videos, boolean gapsAllowed) {
        // group frames by video with a counting sort: two int arrays, no per-video objects
        int[] start = new int[videos + 1];
        for (int v : video) {
            start[v + 1]++;
        }
        for (int v = 0; v < videos; v++) {
            if (start[v + 1] == 0 && !gapsAllowed) {
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
            out[v] = start[v] == start[v + 1] ? Double.NaN : of(grouped, start[v], start[v + 1]);
        }
        return out;
    }

    /** The aggregate of {@code values[from, to)}, which it may reorder. */
    private double of(double[] values, int from, int to) {
        switch (this) {
            case MEAN -> {
                double sum = 0;
                for (int i = from; i < to; i++) {
                    sum += values[i];
                }
                return sum / (to - from);
            }
            case MEDIAN -> {
                Arrays.sort(values, from, to);
                int count = to - from;
                int mid = from + count / 2;
                return count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
            }
            case MAX -> {
                double max = Double.NEGATIVE_INFINITY;
                for (int i = from; i < to; i++) {
                    max = Math.max(max, values[i]);
                }
                return max;
            }
            default -> throw new IllegalStateException(name());
        }
    }
}
