package dev.unmask.core.vit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.unmask.core.Golden;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.tensor.Autograd;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one forward pass: split anywhere it gives the whole pass, and it records only when asked. */
class ForwardPassTest {

    static NDArray images(NDManager m, int batch, int side) {
        SplittableRandom r = new SplittableRandom(3);
        float[] v = new float[batch * 3 * side * side];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return m.create(v, new Shape(batch, 3, side, side));
    }

    @Test
    void aPassSplitAtAnyBlockGivesTheWholePassBitForBit() {
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            int depth = vit.config().depth();
            NDArray x = images(m, 2, 56);
            ForwardPass.Output whole = vit.forward(x, ForwardPass.blocks(0, depth).keepNormed(2).keepAllAttention());
            assertThat(whole.attention().keySet()).containsExactly(0, 1, 2, 3);
            assertThat(whole.normed()).hasSize(2);
            for (int split = 0; split < depth; split++) {
                NDArray prefix = vit.forward(x, ForwardPass.blocks(0, split)).tokens();
                ForwardPass.Output rest = vit.forward(prefix, ForwardPass.blocks(split, depth).keepNormed(1).keepAttention(depth - 1));
                assertThat(rest.tokens().toFloatArray()).as("split at %d", split).isEqualTo(whole.tokens().toFloatArray());
                assertThat(rest.normed().get(0).toFloatArray()).isEqualTo(whole.normed().get(1).toFloatArray());
                assertThat(rest.attention().keySet()).containsExactly(depth - 1);
                assertThat(rest.attention().get(depth - 1).toFloatArray()).isEqualTo(whole.attention().get(depth - 1).toFloatArray());
                assertThat(prefix.isReleased()).as("the caller's input stays open").isFalse();
            }
            ViTFeatures f = vit.features(x, 2, true, true);
            assertThat(f.tokens().toFloatArray()).isEqualTo(whole.normed().get(1).toFloatArray());
            assertThat(f.blockTokens()[0].toFloatArray()).isEqualTo(whole.normed().get(0).toFloatArray());
            assertThat(f.lastAttention().toFloatArray()).isEqualTo(whole.attention().get(depth - 1).toFloatArray());
        }
    }

    @Test
    void aRopePassSplitAtABlockGivesTheWholePassAndRefusesTokensOfNoSquareGrid() {
        // Tokens carry no grid: a RoPE pass from a later block takes the square one their count implies.
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov3_hf_s")).loadViT(m)) {
            int depth = vit.config().depth();
            NDArray x = images(m, 1, 48);
            ForwardPass.Output whole = vit.forward(x, ForwardPass.blocks(0, depth));
            NDArray prefix = vit.forward(x, ForwardPass.blocks(0, 1)).tokens();
            assertThat(vit.forward(prefix, ForwardPass.blocks(1, depth)).tokens().toFloatArray()).isEqualTo(whole.tokens().toFloatArray());
            NDArray wide = m.create(new float[3 * 32 * 48], new Shape(1, 3, 32, 48));
            NDArray wideTokens = vit.forward(wide, ForwardPass.blocks(0, 1)).tokens();
            assertThatThrownBy(() -> vit.forward(wideTokens, ForwardPass.blocks(1, depth)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("square patch grid");
        }
    }

    @Test
    void aPassRecordsForBackwardOnlyWhenItAsksForGradients() {
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            int depth = vit.config().depth();
            NDArray x = images(m, 1, 28);
            NDArray weight = vit.parameters().get("norm.weight");
            Autograd.requireGradient(weight, true);
            ForwardPass pass = ForwardPass.blocks(0, depth).keepNormed(1);
            assertThatThrownBy(() -> vit.forward(x, pass.withGradients(true)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("recording");
            float[] frozenValues;
            try (GradientCollector collector = Autograd.record()) {
                NDArray frozen = vit.forward(x, pass).normed().get(0);
                frozenValues = frozen.toFloatArray();
                assertThatThrownBy(() -> collector.backward(frozen.sum())).as("a pass without gradients leaves no graph")
                        .hasMessageContaining("does not require grad");
            }
            try (GradientCollector collector = Autograd.record()) {
                NDArray trained = vit.forward(x, pass.withGradients(true)).normed().get(0);
                // Unrecorded passes multiply with oneDNN, recorded ones with addmm (OneDnnLinear).
                float[] t = trained.toFloatArray();
                for (int i = 0; i < t.length; i++) {
                    assertThat(t[i]).isCloseTo(frozenValues[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(frozenValues[i]))));
                }
                collector.backward(trained.sum());
            }
            assertThat(Autograd.takeGradient(weight, m).abs().sum().getFloat()).isPositive();
        }
    }

    @Test
    void passesOutsideTheBackboneAreRefused() {
        assertThatThrownBy(() -> ForwardPass.blocks(2, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ForwardPass.blocks(0, 2).keepNormed(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ForwardPass.blocks(1, 3).keepAttention(0)).isInstanceOf(IllegalArgumentException.class);
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            assertThatThrownBy(() -> vit.forward(images(m, 1, 28), ForwardPass.blocks(0, 5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("depth 4");
            assertThatThrownBy(() -> vit.forward(images(m, 1, 28), ForwardPass.blocks(2, 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokens [B, T, D]");
        }
    }
}
