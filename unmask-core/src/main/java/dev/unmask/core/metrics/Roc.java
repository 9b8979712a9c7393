package dev.unmask.core.metrics;

import java.util.Arrays;

/**
 * The ROC curve exactly as scikit-learn's {@code roc_curve(y, s, drop_intermediate=True)}
 * (sklearn >= 1.3: first threshold {@code +inf}), plus the paper's readings of it: AUC by the
 * trapezoid rule, EER and its threshold by {@code brentq} on the linearly interpolated curve,
 * TPR at a given FPR by the same interpolation. "Positive" is fake.
 */
public final class Roc {
    private final double[] fpr;
    private final double[] tpr;
    private final double[] thresholds;

    private Roc(double[] fpr, double[] tpr, double[] thresholds) {
        this.fpr = fpr;
        this.tpr = tpr;
        this.thresholds = thresholds;
    }

    /**
     * @param scores finite scores, higher meaning more likely fake
     * @param fake the truth per score
     * @throws dev.unmask.core.UserError when a score is not finite or a class is missing
     */
    public static Roc of(double[] scores, boolean[] fake) {
        return of(Tally.Ranking.of(scores, fake).tally(null));
    }

    static Roc of(Tally tally) {
        tally.requireBothClasses();
        Tally.Curve c = tally.curve();
        int n = c.size;
        // drop_intermediate: keep a point unless both second differences are zero there, i.e. it
        // sits between equal steps. (This is sklearn's test, narrower than true collinearity.)
        int[] keep = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            boolean corner = n <= 2 || i == 0 || i == n - 1
                    || (c.fps[i + 1] - c.fps[i]) - (c.fps[i] - c.fps[i - 1]) != 0
                    || (c.tps[i + 1] - c.tps[i]) - (c.tps[i] - c.tps[i - 1]) != 0;
            if (corner) {
                keep[m++] = i;
            }
        }
        double[] fpr = new double[m + 1];
        double[] tpr = new double[m + 1];
        double[] thr = new double[m + 1];
        thr[0] = Double.POSITIVE_INFINITY;
        double lastFp = c.fps[n - 1];
        double lastTp = c.tps[n - 1];
        for (int k = 0; k < m; k++) {
            int i = keep[k];
            fpr[k + 1] = c.fps[i] / lastFp;
            tpr[k + 1] = c.tps[i] / lastTp;
            thr[k + 1] = c.thresholds[i];
        }
        return new Roc(fpr, tpr, thr);
    }

    public double[] fpr() {
        return fpr.clone();
    }

    public double[] tpr() {
        return tpr.clone();
    }

    /** Descending; the first is {@code +inf} (nothing called fake). */
    public double[] thresholds() {
        return thresholds.clone();
    }

    /** {@code sklearn.metrics.auc(fpr, tpr)}: trapezoids over the curve. */
    public double auc() {
        double area = 0;
        for (int i = 1; i < fpr.length; i++) {
            area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2.0;
        }
        return area;
    }

    /** TPR at the given FPR, on the linearly interpolated curve ({@code np.interp}). */
    public double tprAtFpr(double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("FPR must be in [0, 1]: " + rate);
        }
        return Numeric.interp(rate, fpr, tpr, fpr.length);
    }

    /**
     * The paper's EER: {@code brentq(lambda x: 1. - x - interp1d(fpr, tpr)(x), 0., 1.)}, and
     * its threshold {@code interp1d(fpr, thresholds)(eer)}.
     *
     * <p>When the EER falls on the first segment of the curve, the one leaving the (0, 0) point
     * whose threshold is {@code +inf}, numpy's interpolation gives {@code +inf}. A threshold
     * nobody can use or write to JSON, so it is clamped to the next threshold on the curve (the
     * highest score), and {@link Eer#thresholdClamped()} says so.
     */
    public Eer eer() {
        int len = fpr.length;
        double rate = Numeric.brentq(x -> 1. - x - Numeric.interp(x, fpr, tpr, len), 0., 1.);
        double t = Numeric.interp(rate, fpr, thresholds, len);
        boolean clamped = !Double.isFinite(t);
        if (clamped) {
            t = thresholds[1];
        }
        return new Eer(rate, t, clamped);
    }

    /** Equal error rate (a fraction) and the score threshold at which it is reached. */
    public record Eer(double rate, double threshold, boolean thresholdClamped) {}

    @Override
    public String toString() {
        return "Roc[fpr=" + Arrays.toString(fpr) + ", tpr=" + Arrays.toString(tpr)
                + ", thresholds=" + Arrays.toString(thresholds) + "]";
    }
}
