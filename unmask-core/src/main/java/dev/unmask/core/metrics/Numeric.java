package dev.unmask.core.metrics;

import java.util.function.DoubleUnaryOperator;

/**
 * Twins of the two numerical routines behind the paper's EER: {@code numpy.interp} and
 * {@code scipy.optimize.brentq}. They are reproduced operation for operation rather than
 * replaced by "any interpolation" and "any root finder" because the EER threshold is read off
 * a piecewise-linear curve with vertical jumps: where the root sits on a jump, which side of it
 * the solver stops on decides which ROC segment the threshold is interpolated on.
 */
final class Numeric {
    /** scipy's defaults for {@code brentq}: xtol=2e-12, rtol=4*eps, maxiter=100. */
    static final double BRENTQ_XTOL = 2e-12;
    static final double BRENTQ_RTOL = 4 * Math.ulp(1.0);
    static final int BRENTQ_MAXITER = 100;

    private Numeric() {}

    /**
     * {@code np.interp(x, xp, fp)} for {@code x} inside {@code [xp[0], xp[last]]}, {@code xp}
     * non-decreasing. scipy's {@code interp1d(kind='linear')} delegates here for float64 data,
     * which is what the paper's {@code interp1d(fpr, tpr)} and {@code interp1d(fpr, thresholds)}
     * run. On repeated {@code xp} values numpy brackets with the LAST index j where
     * {@code xp[j] <= x}, so at a vertical ROC jump it returns the upper end.
     */
    static double interp(double x, double[] xp, double[] fp, int len) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < xp[0] || x > xp[len - 1]) {
            throw new IllegalArgumentException("interp: " + x + " outside [" + xp[0] + ", " + xp[len - 1] + "]");
        }
        int j = lastAtOrBelow(x, xp, len);
        if (j == len - 1 || xp[j] == x) {
            return fp[j];
        }
        double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
        double y = slope * (x - xp[j]) + fp[j];
        if (Double.isNaN(y)) {
            // numpy retries from the right end; this is what turns an infinite end value into inf, not nan
            y = slope * (x - xp[j + 1]) + fp[j + 1];
            if (Double.isNaN(y) && fp[j] == fp[j + 1]) {
                y = fp[j];
            }
        }
        return y;
    }

    /** Largest j with xp[j] <= x (xp[0] <= x assumed). */
    private static int lastAtOrBelow(double x, double[] xp, int len) {
        int lo = 0;
        int hi = len; // invariant: xp[lo] <= x, and xp[i] > x for all i >= hi
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (xp[mid] <= x) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Brent's method exactly as scipy's C {@code brentq} steps it (bracket kept with the
     * contrapoint, inverse quadratic or secant step when it shrinks fast enough, otherwise
     * bisection), with scipy's default tolerances, so the returned root is the same double.
     */
    static double brentq(DoubleUnaryOperator f, double a, double b) {
        double xPrev = a;
        double xCur = b;
        double fPrev = f.applyAsDouble(xPrev);
        double fCur = f.applyAsDouble(xCur);
        if (Double.isNaN(fPrev) || Double.isNaN(fCur)) {
            throw new IllegalStateException("brentq: function is NaN at an end of the bracket");
        }
        if (fPrev * fCur > 0) {
            throw new IllegalStateException("brentq: f(a) and f(b) have the same sign");
        }
        if (fPrev == 0) {
            return xPrev;
        }
        if (fCur == 0) {
            return xCur;
        }
        double xBlk = 0;
        double fBlk = 0;
        double sPrev = 0;
        double sCur = 0;
        for (int i = 0; i < BRENTQ_MAXITER; i++) {
            if (fPrev * fCur < 0) {
                // the sign changed between the last two iterates: the previous one becomes the contrapoint
                xBlk = xPrev;
                fBlk = fPrev;
                sPrev = sCur = xCur - xPrev;
            }
            if (Math.abs(fBlk) < Math.abs(fCur)) {
                // keep the best estimate in xCur
                xPrev = xCur;
                xCur = xBlk;
                xBlk = xPrev;
                fPrev = fCur;
                fCur = fBlk;
                fBlk = fPrev;
            }
            double delta = (BRENTQ_XTOL + BRENTQ_RTOL * Math.abs(xCur)) / 2;
            double sBis = (xBlk - xCur) / 2;
            if (fCur == 0 || Math.abs(sBis) < delta) {
                return xCur;
            }
            if (Math.abs(sPrev) > delta && Math.abs(fCur) < Math.abs(fPrev)) {
                double sTry;
                if (xPrev == xBlk) {
                    sTry = -fCur * (xCur - xPrev) / (fCur - fPrev);
                } else {
                    double dPrev = (fPrev - fCur) / (xPrev - xCur);
                    double dBlk = (fBlk - fCur) / (xBlk - xCur);
                    sTry = -fCur * (fBlk * dBlk - fPrev * dPrev) / (dBlk * dPrev * (fBlk - fPrev));
                }
                if (2 * Math.abs(sTry) < Math.min(Math.abs(sPrev), 3 * Math.abs(sBis) - delta)) {
                    sPrev = sCur;
                    sCur = sTry;
                } else {
                    sPrev = sBis;
                    sCur = sBis;
                }
            } else {
                sPrev = sBis;
                sCur = sBis;
            }
            xPrev = xCur;
            fPrev = fCur;
            xCur += Math.abs(sCur) > delta ? sCur : (sBis > 0 ? delta : -delta);
            fCur = f.applyAsDouble(xCur);
            if (Double.isNaN(fCur)) {
                throw new IllegalStateException("brentq: function is NaN at " + xCur);
            }
        }
        throw new IllegalStateException("brentq: no convergence in " + BRENTQ_MAXITER + " iterations");
    }
}
