package dev.unmask.core.metrics;

import dev.unmask.core.UserError;

/**
 * Every number Unmask reports about a set of scores, from one implementation. Labels: fake is
 * the positive class; scores are probabilities of fake, and a score {@code >= threshold} is
 * called fake. All rates are fractions in [0, 1], never percentages.
 *
 * @param n number of samples (frames or videos)
 * @param nReal samples labelled real
 * @param nFake samples labelled fake
 * @param auc area under the ROC curve ({@link Roc#auc()})
 * @param ap average precision, as sklearn's {@code average_precision_score}
 * @param eer equal error rate ({@link Roc#eer()})
 * @param eerThreshold score threshold at the EER
 * @param tprAtFpr1pct TPR at 1 % FPR on the interpolated ROC
 * @param ece expected calibration error, 15 equal-width bins (see {@link #compute})
 * @param threshold the decision threshold of the next four
 * @param acc accuracy at the threshold
 * @param hter half total error rate: (FAR + FRR) / 2 at the threshold
 * @param accReal fraction of real samples called real (1 - FAR)
 * @param accFake fraction of fake samples called fake (1 - FRR)
 */
public record BinaryMetrics(
        long n,
        long nReal,
        long nFake,
        double auc,
        double ap,
        double eer,
        double eerThreshold,
        double tprAtFpr1pct,
        double ece,
        double threshold,
        double acc,
        double hter,
        double accReal,
        double accFake) {

    public static final double DEFAULT_THRESHOLD = 0.5;
    public static final int ECE_BINS = 15;

    /**
     * Computes all metrics.
     *
     * <p>ECE follows Guo et al. (2017) for the predicted class: the prediction is fake when
     * {@code p >= 0.5}, its confidence is {@code max(p, 1 - p)}, samples go to 15 bins
     * {@code (k/15, (k+1)/15]} by confidence, and ECE is the sample-weighted mean over bins of
     * |accuracy - mean confidence|.
     *
     * @param scores probabilities of fake, each finite and in [0, 1]
     * @param fake the truth per score
     * @param threshold decision threshold in [0, 1]
     * @throws UserError on a non-finite or out-of-range score, or when a class is missing
     */
    public static BinaryMetrics compute(double[] scores, boolean[] fake, double threshold) {
        requireProbabilities(scores);
        return compute(Tally.Ranking.of(scores, fake).tally(null), threshold);
    }

    static BinaryMetrics compute(Tally t, double threshold) {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new UserError("threshold must be in [0, 1], got " + threshold);
        }
        Roc roc = Roc.of(t); // checks both classes are present
        Roc.Eer eer = roc.eer();

        double realCalledFake = 0;
        double fakeCalledFake = 0;
        double[] binWeight = new double[ECE_BINS];
        double[] binConfidence = new double[ECE_BINS];
        double[] binCorrect = new double[ECE_BINS];
        for (int i = 0; i < t.values.length; i++) {
            double p = t.values[i];
            if (p >= threshold) {
                realCalledFake += t.real[i];
                fakeCalledFake += t.fake[i];
            }
            double w = t.real[i] + t.fake[i];
            if (w == 0) {
                continue;
            }
            boolean predictedFake = p >= 0.5;
            double confidence = predictedFake ? p : 1 - p;
            int b = eceBin(confidence);
            binWeight[b] += w;
            binConfidence[b] += w * confidence;
            binCorrect[b] += predictedFake ? t.fake[i] : t.real[i];
        }
        double n = t.totalReal + t.totalFake;
        double ece = 0;
        for (int b = 0; b < ECE_BINS; b++) {
            if (binWeight[b] > 0) {
                ece += Math.abs(binCorrect[b] / binWeight[b] - binConfidence[b] / binWeight[b]) * (binWeight[b] / n);
            }
        }
        double far = realCalledFake / t.totalReal;
        double frr = (t.totalFake - fakeCalledFake) / t.totalFake;
        double acc = ((t.totalReal - realCalledFake) + fakeCalledFake) / n;
        return new BinaryMetrics(
                (long) n, (long) t.totalReal, (long) t.totalFake,
                roc.auc(), averagePrecision(t), eer.rate(), eer.threshold(), roc.tprAtFpr(0.01), ece,
                threshold, acc, (far + frr) / 2, 1 - far, 1 - frr);
    }

    /**
     * sklearn's {@code average_precision_score}: sum over thresholds, highest first, of
     * (R_k - R_{k-1}) * P_k on the un-thinned curve, R_0 = 0. No interpolation of precision.
     */
    static double averagePrecision(Tally t) {
        Tally.Curve c = t.curve();
        double allFake = c.tps[c.size - 1];
        double ap = 0;
        double prevRecall = 0;
        for (int k = 0; k < c.size; k++) {
            double recall = c.tps[k] / allFake;
            double precision = c.tps[k] / (c.tps[k] + c.fps[k]);
            ap += (recall - prevRecall) * precision;
            prevRecall = recall;
        }
        return ap;
    }

    /** Bin k holds confidences in (k/15, (k+1)/15]; the guess from multiplying is corrected against those bounds. */
    static int eceBin(double confidence) {
        int b = (int) Math.ceil(confidence * ECE_BINS) - 1;
        b = Math.max(0, Math.min(ECE_BINS - 1, b));
        while (b > 0 && confidence <= (double) b / ECE_BINS) {
            b--;
        }
        while (b < ECE_BINS - 1 && confidence > (double) (b + 1) / ECE_BINS) {
            b++;
        }
        return b;
    }

    static void requireProbabilities(double[] scores) {
        for (int i = 0; i < scores.length; i++) {
            double s = scores[i];
            if (!Double.isFinite(s)) {
                throw new UserError("score " + s + " (sample " + (i + 1) + ") is not a finite number");
            }
            if (!(s >= 0 && s <= 1)) {
                throw new UserError("score " + s + " (sample " + (i + 1) + ") is not a probability in [0, 1]");
            }
        }
    }
}
