package dev.unmask.core.head;

import dev.unmask.core.model.FeatureVariant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.train.AdamW;
import dev.unmask.core.train.ProbeModel;
import dev.unmask.core.train.TrainStep;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HeadTest {
    static final int B = 64;
    static final int DIM = 8;
    static final int TOKENS = 5;

    /** Features whose class shows in one channel of the last block's tokens, buried in noise elsewhere. */
    static float[] features(int n, int tokens, int[] labels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[B * n * tokens * DIM];
        for (int b = 0; b < B; b++) {
            labels[b] = b % 2;
            for (int i = 0; i < n * tokens * DIM; i++) {
                f[b * n * tokens * DIM + i] = (float) (r.nextGaussian());
            }
            for (int t = 0; t < tokens; t++) {
                f[b * n * tokens * DIM + ((n - 1) * tokens + t) * DIM] += labels[b] == 1 ? 1.5f : -1.5f;
            }
        }
        return f;
    }

    @ParameterizedTest(name = "{0} learns a separable signal")
    @EnumSource(FeatureVariant.class)
    void everyVariantLearns(FeatureVariant variant) {
        int n = variant.blocks(4);
        int tokens = variant.allTokens() ? TOKENS : 1;
        try (NDManager m = NDManager.newBaseManager()) {
            int[] labels = new int[B];
            NDArray x = m.create(features(n, tokens, labels, 3), new Shape(B, n, tokens, DIM));
            Head head = Head.initialise(HeadSpec.linear(variant, n, tokens, DIM), 11, m);
            if (variant.combine() == FeatureVariant.Combine.WEIGHTED_SUM) {
                assertThat(head.parameters().get("ws.weight").toFloatArray()).containsOnly(1f / n);
            }
            float[] w = head.parameters().get("head.weight").toFloatArray();
            double sd = Math.sqrt(java.util.Arrays.stream(toDouble(w)).map(v -> v * v).average().orElse(0));
            assertThat(sd).as("classifier init N(0, 0.01)").isBetween(0.006, 0.014);
            ProbeModel model = new ProbeModel(head);
            try (AdamW opt = new AdamW(new AdamW.Settings(1e-2, 0.9, 0.999, 1e-8, 0), m)) {
                double first = 0;
                double last = 0;
                for (int step = 0; step < 60; step++) {
                    double loss = TrainStep.run(model, x, labels, opt, new SplittableRandom(step), false).loss();
                    first = step == 0 ? loss : first;
                    last = loss;
                }
                assertThat(first).isBetween(0.5, 1.2);
                assertThat(last).as(variant + " final loss").isLessThan(0.3);
            }
            float[] logits = head.logits(x, null).toFloatArray();
            float[] again = head.logits(x, null).toFloatArray();
            assertThat(logits).as("evaluation has no dropout").containsExactly(again);
        }
    }

    @Test
    void theLinearHeadIsReallyApplied() {
        try (NDManager m = NDManager.newBaseManager()) {
            int[] labels = new int[B];
            float[] f = features(4, 1, labels, 5);
            Head head = Head.initialise(HeadSpec.linear(FeatureVariant.CLS_CONCAT_4, 4, 1, DIM), 2, m);
            float[] w = head.parameters().get("head.weight").toFloatArray();
            float[] bias = {0.25f, -0.5f};
            dev.unmask.core.tensor.Tensors.assign(head.parameters().get("head.bias"), bias);
            float[] logits = head.logits(m.create(f, new Shape(B, 4, 1, DIM)), null).toFloatArray();
            int width = 4 * DIM;
            for (int b = 0; b < B; b++) {
                for (int c = 0; c < 2; c++) {
                    double want = bias[c];
                    for (int i = 0; i < width; i++) {
                        want += (double) f[b * width + i] * w[c * width + i];
                    }
                    assertThat((double) logits[b * 2 + c]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }

    @Test
    void anMlpHeadAndBadShapesAreChecked() {
        try (NDManager m = NDManager.newBaseManager()) {
            HeadSpec spec = new HeadSpec(FeatureVariant.CLS_LAST, HeadSpec.Kind.MLP, 1, 1, DIM, 16, 0.1f);
            Head head = Head.initialise(spec, 1, m);
            assertThat(head.parameters()).containsOnlyKeys("mlp.fc1.weight", "mlp.fc1.bias", "head.weight", "head.bias");
            assertThat(head.logits(m.ones(new Shape(3, 1, 1, DIM)), null).getShape()).isEqualTo(new Shape(3, 2));
            assertThatThrownBy(() -> head.logits(m.ones(new Shape(3, 2, 1, DIM)), null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FeatureVariant.parse("cls_concat_3")).isInstanceOf(UserError.class).hasMessageContaining("cls_concat_4");
            assertThatThrownBy(() -> HeadSpec.linear(FeatureVariant.ALL_LAST, 1, 1 << 20, 1024)).isInstanceOf(UserError.class)
                    .hasMessageContaining("parameters");
        }
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void linearNormHeadIsTheLinearHeadOnUnitLengthFeatures() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] w = {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 0f, 3f};
            float[] b = {0.1f, -0.2f};
            java.util.Map<String, float[]> values = java.util.Map.of("head.weight", w, "head.bias", b);
            Head norm = Head.of(new HeadSpec(FeatureVariant.CLS_LAST, HeadSpec.Kind.LINEAR_NORM, 1, 1, 4, 0, 0f), values, m);
            float[] f = {3f, -4f, 0f, 12f};
            float[] logits = norm.logits(m.create(f, new Shape(1, 1, 1, 4)), null).toFloatArray();
            // ‖f‖ = 13, so f/‖f‖ = (3, -4, 0, 12)/13.
            assertThat(logits[0]).isCloseTo((0.5f * 3 + 1f * 4 + 0.25f * 12) / 13f + 0.1f, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(logits[1]).isCloseTo((-0.75f * 3 - 1.5f * 4 + 3f * 12) / 13f - 0.2f, org.assertj.core.data.Offset.offset(1e-5f));
            float[] scaled = norm.logits(m.create(new float[] {30f, -40f, 0f, 120f}, new Shape(1, 1, 1, 4)), null).toFloatArray();
            assertThat(scaled[0]).isCloseTo(logits[0], org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(scaled[1]).isCloseTo(logits[1], org.assertj.core.data.Offset.offset(1e-5f));
            assertThatThrownBy(() -> HeadSpec.Kind.parse("linear_norm")).isInstanceOf(UserError.class);
        }
    }
}
