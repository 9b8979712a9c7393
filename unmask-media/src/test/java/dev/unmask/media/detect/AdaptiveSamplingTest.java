package dev.unmask.media.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.face.FaceEvidence;
import dev.unmask.media.video.FrameSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The --frames auto stopping rule against --frames 32 on simulated videos: per-frame fake
 * probabilities of one face (detect's default, the largest face per frame) made as a per-video
 * mean plus autocorrelated noise in logit space, with scene changes, faces on screen for part of
 * the video or missed now and then, and weak detections; a third of the videos have their mean
 * within 0.1 of the threshold, where stopping early is hardest. Each video is judged on the whole
 * grid and adaptively, on the same 32 scores, so a difference is the rule's doing alone.
 */
class AdaptiveSamplingTest {
    static final int GRID = 32;
    static final FaceEvidence EVIDENCE = FaceEvidence.DEFAULT;
    static final Map<String, Integer> KINDS = new TreeMap<>();

    /** One simulated video: per slot of the grid, whether a confident face is there, its score, and whether a weak detection is. */
    record Video(boolean[] face, double[] score, boolean[] weak, double threshold) {}

    static double logit(double p) {
        return Math.log(p / (1 - p));
    }

    static Video simulate(Random r) {
        double threshold = 0.3 + 0.4 * r.nextDouble();
        double mean;
        if (r.nextDouble() < 1 / 3.0) {
            mean = threshold + (r.nextDouble() * 2 - 1) * 0.1;
        } else {
            mean = 0.02 + 0.96 * r.nextDouble();
        }
        mean = Math.min(0.98, Math.max(0.02, mean));
        double rho = 0.9 * r.nextDouble();
        double sigma = 0.1 + 1.4 * r.nextDouble();
        double[] score = new double[GRID];
        double noise = r.nextGaussian() * sigma;
        // A scene change in a fifth of the videos: the second part has another mean.
        int change = r.nextDouble() < 0.2 ? 4 + r.nextInt(GRID - 8) : GRID;
        double shift = r.nextGaussian() * 1.0;
        for (int i = 0; i < GRID; i++) {
            noise = rho * noise + Math.sqrt(1 - rho * rho) * r.nextGaussian() * sigma;
            score[i] = 1 / (1 + Math.exp(-(logit(mean) + noise + (i >= change ? shift : 0))));
        }
        boolean[] face = new boolean[GRID];
        double kind = r.nextDouble();
        if (kind < 0.6) {
            // On screen throughout, missed now and then.
            double miss = 0.3 * r.nextDouble();
            for (int i = 0; i < GRID; i++) {
                face[i] = r.nextDouble() >= miss;
            }
        } else if (kind < 0.85) {
            // On screen for one stretch of the video.
            int len = 1 + r.nextInt(GRID);
            int start = r.nextInt(GRID - len + 1);
            for (int i = start; i < start + len; i++) {
                face[i] = true;
            }
        } else if (kind < 0.93) {
            // Found in scattered frames only (a small or turned face).
            double p = 0.25 * r.nextDouble();
            for (int i = 0; i < GRID; i++) {
                face[i] = r.nextDouble() < p;
            }
        }
        // else: no face at all
        boolean[] weak = new boolean[GRID];
        double weakRate = r.nextDouble() < 0.5 ? 0 : 0.2 * r.nextDouble();
        for (int i = 0; i < GRID; i++) {
            weak[i] = !face[i] && r.nextDouble() < weakRate;
        }
        return new Video(face, score, weak, threshold);
    }

    /** The verdict on the slots given: "fake", "real" or "no_face", as DetectionRun judges (one track). */
    static String verdict(Video v, int[] slots) {
        List<Double> s = new ArrayList<>();
        for (int i : slots) {
            if (v.face()[i]) {
                s.add(v.score()[i]);
            }
        }
        if (s.isEmpty() || !EVIDENCE.supported(s.size(), slots.length)) {
            return "no_face";
        }
        double mean = s.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        return mean >= v.threshold() ? "fake" : "real";
    }

    record Outcome(String verdict, int frames) {}

    static Outcome adaptive(Video v, AdaptiveSampling rule) {
        int[] sampled = new int[0];
        for (int[] stage : FrameSchedule.stages(GRID)) {
            sampled = concat(sampled, stage);
            Map<Integer, double[]> tracks = new TreeMap<>();
            boolean anyWeak = false;
            List<Double> s = new ArrayList<>();
            for (int i : sampled) {
                if (v.face()[i]) {
                    s.add(v.score()[i]);
                }
                anyWeak |= v.weak()[i];
            }
            if (!s.isEmpty()) {
                tracks.put(0, s.stream().mapToDouble(Double::doubleValue).toArray());
            }
            if (rule.decide(sampled.length, tracks, anyWeak, EVIDENCE, v.threshold()).stop()) {
                break;
            }
        }
        return new Outcome(verdict(v, sampled), sampled.length);
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    record Tally(int videos, int misses, double meanFrames, int nearVideos, int nearMisses) {}

    static Tally run(AdaptiveSampling rule, long seed, int videos) {
        Random r = new Random(seed);
        int misses = 0;
        long frames = 0;
        int near = 0;
        int nearMisses = 0;
        int[] all = java.util.stream.IntStream.range(0, GRID).toArray();
        for (int i = 0; i < videos; i++) {
            Video v = simulate(r);
            Outcome o = adaptive(v, rule);
            String full = verdict(v, all);
            boolean miss = !o.verdict().equals(full);
            if (miss && System.getenv("ADAPTIVE_DEBUG") != null) {
                KINDS.merge(full + "->" + o.verdict() + "@" + o.frames(), 1, Integer::sum);
            }
            misses += miss ? 1 : 0;
            frames += o.frames();
            double fullMean = meanOfFaces(v);
            if (!Double.isNaN(fullMean) && Math.abs(fullMean - v.threshold()) < 0.05) {
                near++;
                nearMisses += miss ? 1 : 0;
            }
        }
        return new Tally(videos, misses, frames / (double) videos, near, nearMisses);
    }

    static double meanOfFaces(Video v) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < GRID; i++) {
            if (v.face()[i]) {
                sum += v.score()[i];
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    @Test
    void theVerdictDiffersFromTheWholeGridsInUnderOnePercentOfSimulatedVideos() {
        Tally t = run(AdaptiveSampling.DEFAULT, 12, 20_000);
        System.out.printf("adaptive sampling on %d simulated videos: %d verdicts differ from --frames 32 (%.2f%%), mean frames %.1f of 32"
                + " (%.2fx fewer); within 0.05 of the threshold: %d videos, %d differ (%.1f%%)%n", t.videos(), t.misses(),
                100.0 * t.misses() / t.videos(), t.meanFrames(), GRID / t.meanFrames(), t.nearVideos(), t.nearMisses(),
                100.0 * t.nearMisses() / Math.max(1, t.nearVideos()));
        if (System.getenv("ADAPTIVE_DEBUG") != null) {
            System.out.println(KINDS);
        }
        assertThat((double) t.misses() / t.videos()).isLessThanOrEqualTo(0.01);
        // And it saves something: far from the threshold the first stage settles most videos.
        assertThat(t.meanFrames()).isLessThan(20);
    }

    @Test
    void aRuleThatAlwaysStopsAtTheFirstStageMissesFarMore() {
        // The test can fail: a rule with no margin stops on the first 8 frames and is wrong often.
        Tally careless = run(new AdaptiveSampling(GRID, 0, 0), 12, 5_000);
        assertThat((double) careless.misses() / careless.videos()).isGreaterThan(0.02);
    }

    @Test
    void theStagesAreNestedQuartersHalvesAndTheWholeGrid() {
        int[][] st = FrameSchedule.stages(GRID);
        assertThat(st).hasNumberOfRows(3);
        assertThat(st[0]).containsExactly(2, 6, 10, 14, 18, 22, 26, 30);
        assertThat(Arrays.stream(concat(st[0], st[1])).sorted().toArray()).containsExactly(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        assertThat(concat(concat(st[0], st[1]), st[2])).hasSize(32).doesNotHaveDuplicates();
    }

    @Test
    void aFaceSeenOnlyInTheFirstStageFramesButTooRarelyKeepsSampling() {
        double[] scores = {0.9, 0.95};
        AdaptiveSampling.Decision d = AdaptiveSampling.DEFAULT.decide(8, Map.of(0, scores), false, EVIDENCE, 0.5);
        assertThat(d.stop()).isFalse();
        // No face in the first quarter: a face in a few scattered frames may be in the others.
        assertThat(AdaptiveSampling.DEFAULT.decide(8, Map.of(), false, EVIDENCE, 0.5).stop()).isFalse();
        AdaptiveSampling.Decision none = AdaptiveSampling.DEFAULT.decide(16, Map.of(), false, EVIDENCE, 0.5);
        assertThat(none.stop()).isTrue();
        assertThat(none.reason()).contains("no detection");
        assertThat(AdaptiveSampling.DEFAULT.decide(16, Map.of(), true, EVIDENCE, 0.5).stop()).isFalse();
        // Far above the threshold in 8 of 8 frames: fake, stop; the same scores near it: go on.
        double[] high = {0.9, 0.92, 0.88, 0.95, 0.91, 0.9, 0.93, 0.89};
        assertThat(AdaptiveSampling.DEFAULT.decide(8, Map.of(0, high), false, EVIDENCE, 0.5).stop()).isTrue();
        assertThat(AdaptiveSampling.DEFAULT.decide(8, Map.of(0, high), false, EVIDENCE, 0.88).stop()).isFalse();
    }
}
