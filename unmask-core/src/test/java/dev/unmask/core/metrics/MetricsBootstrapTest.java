package dev.unmask.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.unmask.core.UserError;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricsBootstrapTest {

    @Test
    void aWeightedReplicateEqualsTheDataWithRowsRepeated() {
        // a replicate is per-sample weights; it must give exactly what copying rows would,
        // including weight 0 meaning the row is absent (its score is no threshold)
        Random r = new Random(7);
        int n = 300;
        double[] s = new double[n];
        boolean[] fake = new boolean[n];
        int[] w = new int[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            fake[i] = r.nextBoolean();
            s[i] = Math.round(Math.min(1, Math.max(0, (fake[i] ? 0.6 : 0.4) + 0.25 * r.nextGaussian())) * 50) / 50.0;
            w[i] = r.nextInt(4);
            total += w[i];
        }
        double[] rs = new double[total];
        boolean[] rf = new boolean[total];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < w[i]; j++) {
                rs[k] = s[i];
                rf[k++] = fake[i];
            }
        }
        BinaryMetrics weighted = BinaryMetrics.compute(Tally.Ranking.of(s, fake).tally(w), 0.5);
        BinaryMetrics repeated = BinaryMetrics.compute(rs, rf, 0.5);
        assertThat(weighted.n()).isEqualTo(total);
        assertThat(weighted.auc()).isCloseTo(repeated.auc(), within(1e-13));
        assertThat(weighted.ap()).isCloseTo(repeated.ap(), within(1e-13));
        assertThat(weighted.eer()).isEqualTo(repeated.eer());
        assertThat(weighted.eerThreshold()).isEqualTo(repeated.eerThreshold());
        assertThat(weighted.hter()).isCloseTo(repeated.hter(), within(1e-15));
        assertThat(weighted.acc()).isCloseTo(repeated.acc(), within(1e-15));
        assertThat(weighted.ece()).isCloseTo(repeated.ece(), within(1e-13));
    }

    @Test
    void percentileIsNumpysLinearOne() {
        // np.percentile(1..10, 2.5): position .025 * 9 = .225 -> 1 + .225 = 1.225; 97.5: 8.775 -> 9.775
        double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(Bootstrap.percentile(v, 2.5)).isCloseTo(1.225, within(1e-12));
        assertThat(Bootstrap.percentile(v, 97.5)).isCloseTo(9.775, within(1e-12));
        assertThat(Bootstrap.percentile(new double[] {3}, 97.5)).isEqualTo(3);
    }

    @Test
    void seededAndReproducible() {
        Data d = videos(30, 20, 11);
        Bootstrap.Result a = Bootstrap.run(d.scores, d.fake, d.video, d.videos, 0.5, 200, 42);
        Bootstrap.Result b = Bootstrap.run(d.scores, d.fake, d.video, d.videos, 0.5, 200, 42);
        Bootstrap.Result c = Bootstrap.run(d.scores, d.fake, d.video, d.videos, 0.5, 200, 43);
        assertThat(a).isEqualTo(b);
        assertThat(a.auc()).isNotEqualTo(c.auc());
        double auc = BinaryMetrics.compute(d.scores, d.fake, 0.5).auc();
        assertThat(auc).isBetween(a.auc().lo(), a.auc().hi());
        assertThat(a.byCluster()).isTrue();
        assertThat(a.clusters()).isEqualTo(30);
    }

    @Test
    void resamplingVideosNotFramesWhenFramesOfAVideoAgree() {
        // 30 videos of 20 identical-score frames: the information is 30 samples, not 600.
        // Resampling frames would pretend otherwise and give a far narrower interval.
        Data d = videos(30, 20, 5);
        Bootstrap.Result byVideo = Bootstrap.run(d.scores, d.fake, d.video, d.videos, 0.5, 400, 1);
        Bootstrap.Result byFrame = Bootstrap.run(d.scores, d.fake, null, 0, 0.5, 400, 1);
        double videoWidth = byVideo.auc().hi() - byVideo.auc().lo();
        double frameWidth = byFrame.auc().hi() - byFrame.auc().lo();
        // widths scale like 1/sqrt(units): sqrt(20) ~ 4.5 times narrower by frame
        assertThat(videoWidth).isGreaterThan(2.5 * frameWidth);
    }

    @Test
    void stratifiedSoEveryReplicateHasBothClasses() {
        // one real among 50 fakes: an unstratified draw misses the real about a third of the
        // time, and such a replicate has no AUC at all
        double[] s = new double[51];
        boolean[] fake = new boolean[51];
        for (int i = 0; i < 50; i++) {
            s[i] = 0.5 + i / 100.0;
            fake[i] = true;
        }
        s[50] = 0.6;
        Bootstrap.Result r = Bootstrap.run(s, fake, null, 0, 0.5, 100, 3);
        assertThat(r.auc().lo()).isBetween(0.0, 1.0);
    }

    @Test
    void aVideoWithBothLabelsIsRefused() {
        assertThatThrownBy(() -> Bootstrap.run(new double[] {0.1, 0.9, 0.5}, new boolean[] {false, true, true},
                new int[] {0, 0, 1}, 2, 0.5, 10, 0))
                .isInstanceOf(UserError.class).hasMessageContaining("both real and fake");
    }

    private record Data(double[] scores, boolean[] fake, int[] video, int videos) {}

    private static Data videos(int videos, int framesEach, long seed) {
        Random r = new Random(seed);
        int n = videos * framesEach;
        double[] s = new double[n];
        boolean[] fake = new boolean[n];
        int[] v = new int[n];
        for (int vid = 0; vid < videos; vid++) {
            boolean f = vid % 2 == 1;
            double score = Math.min(1, Math.max(0, (f ? 0.6 : 0.4) + 0.2 * r.nextGaussian()));
            for (int j = 0; j < framesEach; j++) {
                int i = vid * framesEach + j;
                s[i] = score;
                fake[i] = f;
                v[i] = vid;
            }
        }
        return new Data(s, fake, v, videos);
    }
}
