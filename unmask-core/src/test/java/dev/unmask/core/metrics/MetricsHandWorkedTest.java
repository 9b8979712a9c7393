package dev.unmask.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.unmask.core.UserError;
import org.junit.jupiter.api.Test;

/** Tiny inputs whose answers are worked out by hand in the comments. */
class MetricsHandWorkedTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void dropIntermediateRemovesAPointBetweenEqualSteps() {
        // scores .9 .8 .7 fake, .6 real. Per distinct threshold, highest first:
        //   .9: tps 1 fps 0 | .8: tps 2 fps 0 | .7: tps 3 fps 0 | .6: tps 3 fps 1
        // second differences: fps (0,1), tps (0,-1) -> only .8 has both zero -> dropped.
        // Prepend (0,0) at +inf; fpr = fps/1, tpr = tps/3.
        Roc roc = Roc.of(new double[] {0.9, 0.8, 0.7, 0.6}, new boolean[] {true, true, true, false});
        assertThat(roc.fpr()).containsExactly(0, 0, 0, 1);
        assertThat(roc.tpr()).containsExactly(0, 1.0 / 3, 1, 1);
        assertThat(roc.thresholds()).containsExactly(INF, 0.9, 0.7, 0.6);
        // perfectly separated: f(x) = 1 - x - tpr(x) is already 0 at x = 0 (numpy takes the top
        // of the vertical stretch at fpr 0, tpr 1), and brentq returns the bracket end that is a
        // root. The threshold at fpr 0 is the last one there: .7, the lowest fake score.
        Roc.Eer eer = roc.eer();
        assertThat(eer.rate()).isEqualTo(0.0);
        assertThat(eer.threshold()).isEqualTo(0.7);
        assertThat(roc.auc()).isEqualTo(1.0);
    }

    @Test
    void sklearnDocstringCurveAndAveragePrecision() {
        // roc_curve docs: y = [0,0,1,1], s = [.1,.4,.35,.8]. Highest first:
        //   .8 F: (fps 0, tps 1) | .4 R: (1,1) | .35 F: (1,2) | .1 R: (2,2); no equal steps, all kept.
        //   fpr 0,0,.5,.5,1  tpr 0,.5,.5,1,1  thresholds inf,.8,.4,.35,.1
        // AUC: trapezoids 0 + .5*.5 + 0 + .5*1 = .75
        // AP: precision at .8 = 1 (recall .5), at .35 = 2/3 (recall 1): .5*1 + .5*2/3 = 5/6
        double[] s = {0.1, 0.4, 0.35, 0.8};
        boolean[] y = {false, false, true, true};
        Roc roc = Roc.of(s, y);
        assertThat(roc.fpr()).containsExactly(0, 0, 0.5, 0.5, 1);
        assertThat(roc.tpr()).containsExactly(0, 0.5, 0.5, 1, 1);
        assertThat(roc.thresholds()).containsExactly(INF, 0.8, 0.4, 0.35, 0.1);
        BinaryMetrics m = BinaryMetrics.compute(s, y, 0.5);
        assertThat(m.auc()).isEqualTo(0.75);
        assertThat(m.ap()).isCloseTo(5.0 / 6, within(1e-15));
        // 1 - x - tpr(x) = .5 - x on (0, .5) and jumps to -.5 at .5: the EER is the jump, .5
        assertThat(m.eer()).isCloseTo(0.5, within(1e-11));
        // fpr 0.01 lies on the flat stretch tpr = .5
        assertThat(m.tprAtFpr1pct()).isEqualTo(0.5);
    }

    @Test
    void eerInsideASlopedSegmentIsInterpolated() {
        // fakes .9 .6 .6 .4, reals .8 .6 .6 .3 (4 and 4). Highest first, [fps, tps]:
        //   .9 [0,1] | .8 [1,1] | .6 (two of each) [3,3] | .4 [3,4] | .3 [4,4]
        // second differences fps (1,-2,1), tps (2,-1,-1): every point kept.
        // fpr 0,0,.25,.75,.75,1  tpr 0,.25,.25,.75,1,1  thresholds inf,.9,.8,.6,.4,.3
        // On (.25,.25)->(.75,.75) tpr = x, so 1 - x - tpr = 0 at x = .5: EER .5, halfway along
        // the segment whose thresholds are .8 and .6: threshold .7.
        double[] s = {0.9, 0.6, 0.6, 0.4, 0.8, 0.6, 0.6, 0.3};
        boolean[] y = {true, true, true, true, false, false, false, false};
        Roc roc = Roc.of(s, y);
        assertThat(roc.fpr()).containsExactly(0, 0, 0.25, 0.75, 0.75, 1);
        assertThat(roc.thresholds()).containsExactly(INF, 0.9, 0.8, 0.6, 0.4, 0.3);
        BinaryMetrics m = BinaryMetrics.compute(s, y, 0.5);
        assertThat(m.eer()).isCloseTo(0.5, within(1e-11));
        assertThat(m.eerThreshold()).isCloseTo(0.7, within(1e-11));
        // AUC by trapezoids: 0 + .25*(.25+.25)/2 + .5*(.25+.75)/2 + 0 + .25*(1+1)/2
        //   = .0625 + .25 + .25 = .5625
        assertThat(m.auc()).isCloseTo(0.5625, within(1e-15));
    }

    @Test
    void thresholdMetrics() {
        // reals .1 .2 .6, fakes .5 .9, threshold .5 (score >= .5 is fake):
        //   real .6 called fake -> FAR 1/3; fake .5 and .9 called fake -> FRR 0
        //   HTER (1/3 + 0)/2 = 1/6; accuracy 4/5; on reals 2/3; on fakes 1
        BinaryMetrics m = BinaryMetrics.compute(new double[] {0.1, 0.2, 0.6, 0.5, 0.9},
                new boolean[] {false, false, false, true, true}, 0.5);
        assertThat(m.hter()).isCloseTo(1.0 / 6, within(1e-15));
        assertThat(m.acc()).isCloseTo(0.8, within(1e-15));
        assertThat(m.accReal()).isCloseTo(2.0 / 3, within(1e-15));
        assertThat(m.accFake()).isEqualTo(1.0);
        assertThat(m.threshold()).isEqualTo(0.5);
    }

    @Test
    void expectedCalibrationError() {
        // p (truth): .9 (fake) .92 (fake) .95 (fake) .8 (real) .3 (real) .45 (fake)
        // predicted class, confidence, correct:
        //   .9 fake .9 yes | .92 fake .92 yes | .95 fake .95 yes | .8 fake .8 no | .3 real .7 yes | .45 real .55 no
        // bins of width 1/15: (.8667,.9333] holds .9,.92 (acc 1, conf .91); (.9333,1] .95;
        //   (.7333,.8] .8; (.6667,.7333] .7; (.5333,.6] .55
        // ECE = [2*|1-.91| + |1-.95| + |0-.8| + |1-.7| + |0-.55|] / 6 = (.18+.05+.8+.3+.55)/6 = 1.88/6
        BinaryMetrics m = BinaryMetrics.compute(new double[] {0.9, 0.92, 0.95, 0.8, 0.3, 0.45},
                new boolean[] {true, true, true, false, false, true}, 0.5);
        assertThat(m.ece()).isCloseTo(1.88 / 6, within(1e-12));
        // a bin edge belongs to the bin below it: 0.8 = 12/15 is in (11/15, 12/15]
        assertThat(BinaryMetrics.eceBin(12.0 / 15)).isEqualTo(11);
        assertThat(BinaryMetrics.eceBin(1.0)).isEqualTo(14);
        assertThat(BinaryMetrics.eceBin(0.5)).isEqualTo(7); // (7/15, 8/15]
    }

    @Test
    void allEqualScoresGiveChance() {
        // one threshold: curve (0,0) -> (1,1); 1 - x - x = 0 at .5; the threshold on the
        // segment leaving +inf is +inf in numpy, clamped to the only score.
        BinaryMetrics m = BinaryMetrics.compute(new double[] {0.3, 0.3, 0.3, 0.3},
                new boolean[] {true, false, true, false}, 0.5);
        assertThat(m.auc()).isEqualTo(0.5);
        assertThat(m.eer()).isCloseTo(0.5, within(1e-12));
        assertThat(m.eerThreshold()).isEqualTo(0.3);
        assertThat(m.ap()).isEqualTo(0.5); // precision 1/2 at recall 1
    }

    @Test
    void negativeZeroIsTheSameThresholdAsZero() {
        // numpy compares -0.0 == 0.0, so they are one tie group: one point, not two
        Roc roc = Roc.of(new double[] {-0.0, 0.0, 1.0}, new boolean[] {false, true, true});
        assertThat(roc.thresholds()).containsExactly(INF, 1.0, 0.0);
    }

    @Test
    void oneClassOrNonFiniteIsAnErrorNotANumber() {
        assertThatThrownBy(() -> BinaryMetrics.compute(new double[] {0.1, 0.2}, new boolean[] {false, false}, 0.5))
                .isInstanceOf(UserError.class).hasMessageContaining("both real").hasMessageContaining("0 fake");
        assertThatThrownBy(() -> BinaryMetrics.compute(new double[] {0.1, 0.9}, new boolean[] {true, true}, 0.5))
                .isInstanceOf(UserError.class).hasMessageContaining("0 real");
        assertThatThrownBy(() -> BinaryMetrics.compute(new double[] {0.1, Double.NaN}, new boolean[] {false, true}, 0.5))
                .isInstanceOf(UserError.class).hasMessageContaining("not a finite number");
        assertThatThrownBy(() -> Roc.of(new double[] {0.1, Double.POSITIVE_INFINITY}, new boolean[] {false, true}))
                .isInstanceOf(UserError.class).hasMessageContaining("not a finite number");
        assertThatThrownBy(() -> BinaryMetrics.compute(new double[] {0.1, 1.5}, new boolean[] {false, true}, 0.5))
                .isInstanceOf(UserError.class).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> BinaryMetrics.compute(new double[] {0.1, 0.5}, new boolean[] {false, true}, 1.5))
                .isInstanceOf(UserError.class).hasMessageContaining("threshold");
    }

    @Test
    void aVideosScoreIsItsMostSuspiciousFacesAggregate() {
        // face 0: .2 .4 .7 -> mean .4333, median .4, max .7; face 1: .9 .6 -> mean .75, median .75, max .9
        double[] s = {0.2, 0.9, 0.4, 0.6, 0.7};
        int[] track = {0, 1, 0, 1, 0};
        assertThat(VideoAggregation.MEAN.videoScore(s, track)).isCloseTo(0.75, within(1e-15));
        assertThat(VideoAggregation.MEDIAN.videoScore(s, track)).isCloseTo(0.75, within(1e-15));
        assertThat(VideoAggregation.MAX.videoScore(s, track)).isEqualTo(0.9);
        assertThat(VideoAggregation.MEAN.of(new double[] {0.2, 0.4, 0.7})).isCloseTo(1.3 / 3, within(1e-15));
        // One face: the video level eval and metrics compute, where items carry no face.
        for (VideoAggregation a : VideoAggregation.values()) {
            assertThat(a.videoScore(s, new int[5])).as(a.label()).isEqualTo(a.aggregate(s, new int[5], 1)[0]);
        }
        // Track ids need not be dense (faces not judged leave gaps).
        assertThat(VideoAggregation.MEAN.videoScore(new double[] {0.3, 0.5}, new int[] {2, 2})).isCloseTo(0.4, within(1e-15));
    }

    @Test
    void videoAggregation() {
        // video 0: .2 .9 .4 -> mean .5, median .4, max .9; video 1: .1 .3 -> mean .2, median .2, max .3
        double[] s = {0.2, 0.1, 0.9, 0.3, 0.4};
        int[] v = {0, 1, 0, 1, 0};
        assertThat(VideoAggregation.MEAN.aggregate(s, v, 2)).containsExactly(new double[] {0.5, 0.2}, within(1e-15));
        assertThat(VideoAggregation.MEDIAN.aggregate(s, v, 2)).containsExactly(new double[] {0.4, 0.2}, within(1e-15));
        assertThat(VideoAggregation.MAX.aggregate(s, v, 2)).containsExactly(0.9, 0.3);
        assertThat(VideoAggregation.parse("Median")).isEqualTo(VideoAggregation.MEDIAN);
        assertThatThrownBy(() -> VideoAggregation.parse("mode")).isInstanceOf(UserError.class);
    }
}
