package dev.unmask.core.metrics;

import dev.unmask.core.UserError;
import java.util.Arrays;

/**
 * Scores reduced to what every metric here needs: the distinct score values (ascending) and,
 * per value, the weight of real and of fake samples at it. Every metric is a linear walk over
 * this, and a bootstrap replicate only re-weights it, so nothing is sorted twice and memory
 * stays linear in the number of scores.
 */
final class Tally {
    final double[] values;
    final double[] real;
    final double[] fake;
    final double totalReal;
    final double totalFake;

    private Tally(double[] values, double[] real, double[] fake) {
        this.values = values;
        this.real = real;
        this.fake = fake;
        double r = 0;
        double f = 0;
        for (int i = 0; i < values.length; i++) {
            r += real[i];
            f += fake[i];
        }
        this.totalReal = r;
        this.totalFake = f;
    }

    /** Distinct values and, per score, the index of its value: computed once per data set. */
    static final class Ranking {
        final double[] values;
        final int[] rank;
        final boolean[] isFake;

        Ranking(double[] values, int[] rank, boolean[] isFake) {
            this.values = values;
            this.rank = rank;
            this.isFake = isFake;
        }

        static Ranking of(double[] scores, boolean[] isFake) {
            if (scores.length != isFake.length) {
                throw new IllegalArgumentException(scores.length + " scores but " + isFake.length + " labels");
            }
            double[] sorted = new double[scores.length];
            for (int i = 0; i < scores.length; i++) {
                double s = scores[i];
                if (!Double.isFinite(s)) {
                    throw new UserError("score " + s + " (sample " + (i + 1) + ") is not a finite number; metrics need finite scores");
                }
                // -0.0 and 0.0 are one threshold for numpy; Arrays.sort and binarySearch would split them
                sorted[i] = s + 0.0;
            }
            Arrays.sort(sorted);
            int d = 0;
            for (int i = 0; i < sorted.length; i++) {
                if (d == 0 || sorted[i] != sorted[d - 1]) {
                    sorted[d++] = sorted[i];
                }
            }
            double[] values = Arrays.copyOf(sorted, d);
            int[] rank = new int[scores.length];
            for (int i = 0; i < scores.length; i++) {
                rank[i] = Arrays.binarySearch(values, scores[i] + 0.0);
            }
            return new Ranking(values, rank, isFake.clone());
        }

        int size() {
            return rank.length;
        }

        /** Tally with each sample counted {@code weights[i]} times; null means once each. */
        Tally tally(int[] weights) {
            double[] real = new double[values.length];
            double[] fake = new double[values.length];
            for (int i = 0; i < rank.length; i++) {
                double w = weights == null ? 1 : weights[i];
                if (isFake[i]) {
                    fake[rank[i]] += w;
                } else {
                    real[rank[i]] += w;
                }
            }
            return new Tally(values, real, fake);
        }
    }

    /** A metric needs both classes; anything computed without one of them would be a made-up number. */
    void requireBothClasses() {
        if (totalReal <= 0 || totalFake <= 0) {
            throw new UserError("metrics need both real (label 0) and fake (label >= 1) samples; got "
                    + fmt(totalReal) + " real and " + fmt(totalFake) + " fake");
        }
    }

    private static String fmt(double count) {
        return count == Math.rint(count) ? Long.toString((long) count) : Double.toString(count);
    }

    /**
     * sklearn's {@code _binary_clf_curve}: one point per distinct score from the highest down,
     * with the cumulative fake (tps) and real (fps) weight at or above it. Values that carry no
     * weight in this tally are skipped, as sklearn drops zero-weight samples.
     */
    Curve curve() {
        int d = values.length;
        double[] fps = new double[d];
        double[] tps = new double[d];
        double[] thr = new double[d];
        double tp = 0;
        double fp = 0;
        int k = 0;
        for (int i = d - 1; i >= 0; i--) {
            if (real[i] + fake[i] == 0) {
                continue;
            }
            tp += fake[i];
            fp += real[i];
            fps[k] = fp;
            tps[k] = tp;
            thr[k] = values[i];
            k++;
        }
        return new Curve(fps, tps, thr, k);
    }

    /** Cumulative counts per threshold, descending thresholds; only the first {@code size} entries are used. */
    static final class Curve {
        final double[] fps;
        final double[] tps;
        final double[] thresholds;
        final int size;

        Curve(double[] fps, double[] tps, double[] thresholds, int size) {
            this.fps = fps;
            this.tps = tps;
            this.thresholds = thresholds;
            this.size = size;
        }
    }
}
