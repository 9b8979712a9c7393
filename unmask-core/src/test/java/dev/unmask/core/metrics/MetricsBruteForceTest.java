package dev.unmask.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each metric against the textbook definition, computed the slow and obvious way (pairs,
 * per-threshold counting, per-sample binning) on random data with and without ties.
 */
class MetricsBruteForceTest {

    @ParameterizedTest(name = "seed {0}: {1} real, {2} fake, grid {3}")
    @CsvSource({
        "1, 40, 60, 0",
        "2, 100, 30, 10",
        "3, 15, 200, 20",
        "4, 300, 300, 1000",
        "5, 7, 9, 4",
        "6, 250, 150, 0",
    })
    void everyMetricMatchesItsDefinition(long seed, int nReal, int nFake, int grid) {
        Random r = new Random(seed);
        int n = nReal + nFake;
        double[] s = new double[n];
        boolean[] fake = new boolean[n];
        for (int i = 0; i < n; i++) {
            fake[i] = i >= nReal;
            // overlapping classes; a grid > 0 rounds scores onto it to make many ties
            double x = Math.min(1, Math.max(0, (fake[i] ? 0.62 : 0.40) + 0.2 * r.nextGaussian()));
            s[i] = grid > 0 ? Math.round(x * grid) / (double) grid : x;
        }
        double threshold = 0.5;
        BinaryMetrics m = BinaryMetrics.compute(s, fake, threshold);

        assertThat(m.n()).isEqualTo(n);
        assertThat(m.nReal()).isEqualTo(nReal);
        assertThat(m.nFake()).isEqualTo(nFake);
        assertThat(m.auc()).isCloseTo(mannWhitneyAuc(s, fake), within(1e-12));
        assertThat(m.ap()).isCloseTo(meanPrecisionAtEachFake(s, fake), within(1e-12));

        double[][] points = operatingPoints(s, fake);
        assertThat(m.eer()).isCloseTo(antiDiagonalCrossing(points), within(1e-9));
        assertThat(m.tprAtFpr1pct()).isCloseTo(tprOnPolyline(points, 0.01), within(1e-12));

        long realAsFake = 0;
        long fakeAsFake = 0;
        for (int i = 0; i < n; i++) {
            if (s[i] >= threshold) {
                if (fake[i]) {
                    fakeAsFake++;
                } else {
                    realAsFake++;
                }
            }
        }
        double far = realAsFake / (double) nReal;
        double frr = (nFake - fakeAsFake) / (double) nFake;
        assertThat(m.hter()).isCloseTo((far + frr) / 2, within(1e-15));
        assertThat(m.acc()).isCloseTo((nReal - realAsFake + fakeAsFake) / (double) n, within(1e-15));
        assertThat(m.accReal()).isCloseTo(1 - far, within(1e-15));
        assertThat(m.accFake()).isCloseTo(1 - frr, within(1e-15));
        assertThat(m.ece()).isCloseTo(eceByBins(s, fake), within(1e-12));

        // interpolated between two thresholds of the curve (or clamped to the top score), so a score of the data's range
        assertThat(m.eerThreshold()).isBetween(min(s), max(s));
    }

    /** P(score of a random fake > score of a random real), ties counting one half. */
    static double mannWhitneyAuc(double[] s, boolean[] fake) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            if (!fake[i]) {
                continue;
            }
            for (int j = 0; j < s.length; j++) {
                if (fake[j]) {
                    continue;
                }
                pairs++;
                wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }

    /** Average precision = mean over fakes of the precision when everything scoring >= that fake is called fake. */
    static double meanPrecisionAtEachFake(double[] s, boolean[] fake) {
        double sum = 0;
        int fakes = 0;
        for (int i = 0; i < s.length; i++) {
            if (!fake[i]) {
                continue;
            }
            fakes++;
            int called = 0;
            int right = 0;
            for (int j = 0; j < s.length; j++) {
                if (s[j] >= s[i]) {
                    called++;
                    if (fake[j]) {
                        right++;
                    }
                }
            }
            sum += right / (double) called;
        }
        return sum / fakes;
    }

    /** (FPR, TPR) for "nothing is fake" and then for every distinct score as threshold, counted directly. */
    static double[][] operatingPoints(double[] s, boolean[] fake) {
        TreeSet<Double> distinct = new TreeSet<>();
        int nFake = 0;
        for (int i = 0; i < s.length; i++) {
            distinct.add(s[i]);
            nFake += fake[i] ? 1 : 0;
        }
        int nReal = s.length - nFake;
        double[][] pts = new double[distinct.size() + 1][];
        pts[0] = new double[] {0, 0};
        int k = 1;
        for (double t : distinct.descendingSet()) {
            int fp = 0;
            int tp = 0;
            for (int i = 0; i < s.length; i++) {
                if (s[i] >= t) {
                    if (fake[i]) {
                        tp++;
                    } else {
                        fp++;
                    }
                }
            }
            pts[k++] = new double[] {fp / (double) nReal, tp / (double) nFake};
        }
        return pts;
    }

    /** Where the polyline through the points meets FPR = 1 - TPR (FPR = FNR). */
    static double antiDiagonalCrossing(double[][] p) {
        for (int i = 0; i + 1 < p.length; i++) {
            double g0 = 1 - p[i][0] - p[i][1];
            double g1 = 1 - p[i + 1][0] - p[i + 1][1];
            if (g0 == 0) {
                return p[i][0];
            }
            if (g0 > 0 && g1 <= 0) {
                double t = g0 / (g0 - g1);
                return p[i][0] + t * (p[i + 1][0] - p[i][0]);
            }
        }
        throw new AssertionError("no crossing");
    }

    /** TPR of the polyline at the given FPR; on a vertical stretch, its top. */
    static double tprOnPolyline(double[][] p, double x) {
        double top = -1;
        for (double[] q : p) {
            if (q[0] == x) {
                top = Math.max(top, q[1]);
            }
        }
        if (top >= 0) {
            return top;
        }
        for (int i = 0; i + 1 < p.length; i++) {
            if (p[i][0] < x && x < p[i + 1][0]) {
                return p[i][1] + (p[i + 1][1] - p[i][1]) * (x - p[i][0]) / (p[i + 1][0] - p[i][0]);
            }
        }
        throw new AssertionError("x outside the curve");
    }

    /** ECE with the bins as a loop over 15 intervals (k/15, (k+1)/15] of the predicted class's probability. */
    static double eceByBins(double[] s, boolean[] fake) {
        double ece = 0;
        for (int b = 0; b < 15; b++) {
            double lo = b / 15.0;
            double hi = (b + 1) / 15.0;
            int count = 0;
            double conf = 0;
            int correct = 0;
            for (int i = 0; i < s.length; i++) {
                boolean predFake = s[i] >= 0.5;
                double c = predFake ? s[i] : 1 - s[i];
                if (c > lo && c <= hi) {
                    count++;
                    conf += c;
                    correct += predFake == fake[i] ? 1 : 0;
                }
            }
            if (count > 0) {
                ece += Math.abs(correct / (double) count - conf / count) * count / s.length;
            }
        }
        return ece;
    }

    private static double min(double[] a) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : a) {
            m = Math.min(m, x);
        }
        return m;
    }

    private static double max(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : a) {
            m = Math.max(m, x);
        }
        return m;
    }
}
