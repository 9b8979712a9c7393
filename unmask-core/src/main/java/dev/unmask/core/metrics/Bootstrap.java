package dev.unmask.core.metrics;

import dev.unmask.core.UserError;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap 95 % confidence intervals for AUC, EER, HTER and accuracy.
 *
 * <p>Resampling is by cluster: when the video of each frame is known, a replicate draws whole
 * videos, because frames of one video are not independent and resampling them one by one
 * gives intervals that are too narrow. It is stratified: real clusters are drawn from the real
 * ones and fake from the fake ones, as many of each as there are, so every replicate has both
 * classes and the class balance of the data. A replicate is a weight per sample (how often its
 * cluster was drawn), so memory stays linear in the number of scores whatever is drawn.
 * Intervals are numpy's default linear-interpolated 2.5th and 97.5th percentiles.
 */
public final class Bootstrap {
    private Bootstrap() {}

    /** A closed interval. */
    public record Interval(double lo, double hi) {}

    /**
     * @param replicates how many replicates were drawn
     * @param seed the seed they were drawn with
     * @param clusters how many units were resampled (videos when known, otherwise samples)
     * @param byCluster whether samples were resampled in clusters (videos) rather than one by one
     */
    public record Result(int replicates, long seed, int clusters, boolean byCluster,
                         Interval auc, Interval eer, Interval hter, Interval acc) {}

    /**
     * @param scores probabilities of fake, as for {@link BinaryMetrics#compute}
     * @param fake truth per score
     * @param cluster cluster (video) index per score in {@code [0, clusters)}, or null to resample samples
     * @param clusters number of clusters (ignored when {@code cluster} is null)
     * @param threshold decision threshold for HTER and accuracy
     * @param replicates number of replicates, at least 1
     * @param seed seed of the random draws; the same inputs and seed give the same intervals
     * @throws UserError when a cluster mixes real and fake samples, or as {@link BinaryMetrics#compute}
     */
    public static Result run(double[] scores, boolean[] fake, int[] cluster, int clusters,
                             double threshold, int replicates, long seed) {
        if (replicates < 1) {
            throw new UserError("bootstrap needs at least 1 replicate, got " + replicates);
        }
        BinaryMetrics.requireProbabilities(scores);
        Tally.Ranking ranking = Tally.Ranking.of(scores, fake);
        ranking.tally(null).requireBothClasses();
        boolean byCluster = cluster != null;
        int k = byCluster ? clusters : scores.length;
        int[] clusterOf = byCluster ? cluster : null;

        // cluster ids of each class, so that each replicate keeps the class sizes
        byte[] classOf = new byte[k];
        Arrays.fill(classOf, (byte) -1);
        for (int i = 0; i < scores.length; i++) {
            int c = byCluster ? clusterOf[i] : i;
            if (c < 0 || c >= k) {
                throw new IllegalArgumentException("cluster " + c + " of sample " + i + " outside [0, " + k + ")");
            }
            byte cls = (byte) (fake[i] ? 1 : 0);
            if (classOf[c] != -1 && classOf[c] != cls) {
                throw new UserError("video #" + c + " has both real and fake samples; a video has one label");
            }
            classOf[c] = cls;
        }
        int nRealClusters = 0;
        for (byte b : classOf) {
            if (b == 0) {
                nRealClusters++;
            }
        }
        int[] realClusters = new int[nRealClusters];
        int[] fakeClusters = new int[k - nRealClusters];
        int ri = 0;
        int fi = 0;
        for (int c = 0; c < k; c++) {
            if (classOf[c] == 0) {
                realClusters[ri++] = c;
            } else if (classOf[c] == 1) {
                fakeClusters[fi++] = c;
            }
        }

        SplittableRandom random = new SplittableRandom(seed);
        int[] drawn = new int[k];
        int[] weights = new int[scores.length];
        double[] auc = new double[replicates];
        double[] eer = new double[replicates];
        double[] hter = new double[replicates];
        double[] acc = new double[replicates];
        for (int r = 0; r < replicates; r++) {
            Arrays.fill(drawn, 0);
            for (int j = 0; j < realClusters.length; j++) {
                drawn[realClusters[random.nextInt(realClusters.length)]]++;
            }
            for (int j = 0; j < fakeClusters.length; j++) {
                drawn[fakeClusters[random.nextInt(fakeClusters.length)]]++;
            }
            for (int i = 0; i < weights.length; i++) {
                weights[i] = drawn[byCluster ? clusterOf[i] : i];
            }
            BinaryMetrics m = BinaryMetrics.compute(ranking.tally(weights), threshold);
            auc[r] = m.auc();
            eer[r] = m.eer();
            hter[r] = m.hter();
            acc[r] = m.acc();
        }
        return new Result(replicates, seed, k, byCluster, ci95(auc), ci95(eer), ci95(hter), ci95(acc));
    }

    static Interval ci95(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return new Interval(percentile(v, 2.5), percentile(v, 97.5));
    }

    /** numpy's default ('linear') percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        double pos = q / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double frac = pos - lo;
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
    }
}
