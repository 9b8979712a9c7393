package dev.unmask.core.head;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DropoutTest {
    @Test
    void dropsAboutAFractionPAndScalesTheRestByOneOverOneMinusP() {
        int n = 1_000_003;
        float p = 0.4f;
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = new float[n];
            SplittableRandom values = new SplittableRandom(1);
            for (int i = 0; i < n; i++) {
                x[i] = (float) (1 + values.nextDouble());
            }
            float[] y = Dropout.apply(m.create(x, new Shape(n)), p, new SplittableRandom(2)).toFloatArray();
            int dropped = 0;
            for (int i = 0; i < n; i++) {
                if (y[i] == 0f) {
                    dropped++;
                } else {
                    assertThat(y[i]).isEqualTo(x[i] * (1f / (1f - p)));
                }
            }
            // Binomial(n, p): five standard deviations.
            double sd = Math.sqrt(n * p * (1 - p));
            assertThat((double) dropped).isBetween(n * p - 5 * sd, n * p + 5 * sd);
        }
    }

    @Test
    void theMaskFollowsTheStreamSoAResumedRunDrawsTheSameOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(3, 7));
            float[] first = Dropout.apply(x, 0.5f, new SplittableRandom(9)).toFloatArray();
            float[] again = Dropout.apply(x, 0.5f, new SplittableRandom(9)).toFloatArray();
            float[] other = Dropout.apply(x, 0.5f, new SplittableRandom(10)).toFloatArray();
            assertThat(again).containsExactly(first);
            assertThat(other).isNotEqualTo(first);
        }
    }

    @Test
    void drawsOneLongPerFourElements() {
        try (NDManager m = NDManager.newBaseManager()) {
            SplittableRandom used = new SplittableRandom(4);
            Dropout.apply(m.ones(new Shape(2, 5)), 0.3f, used);
            SplittableRandom fresh = new SplittableRandom(4);
            for (int i = 0; i < (10 + Dropout.ELEMENTS_PER_DRAW - 1) / Dropout.ELEMENTS_PER_DRAW; i++) {
                fresh.nextLong();
            }
            assertThat(used.nextLong()).isEqualTo(fresh.nextLong());
        }
    }

    @Test
    void evaluationAndZeroRateLeaveTheInputAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3});
            assertThat(Dropout.apply(x, 0.4f, null)).isSameAs(x);
            assertThat(Dropout.apply(x, 0f, new SplittableRandom(1))).isSameAs(x);
        }
    }
}
