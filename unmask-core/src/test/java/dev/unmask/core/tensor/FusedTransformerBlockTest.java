package dev.unmask.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.unmask.core.Golden;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.ForwardPass;
import dev.unmask.core.vit.VisionTransformer;
import dev.unmask.core.vit.layers.Block;
import dev.unmask.core.vit.layers.Mlp;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The one-call block loads for every block shape we ship (a silent fallback would cost a tenth of
 * the speed and fail nothing else), computes what the op-by-op block computes, and hands back an
 * array a later recorded pass can differentiate through.
 */
class FusedTransformerBlockTest {

    static NDArray tokens(NDManager m, long batch, long n, long d) {
        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[(int) (batch * n * d)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian());
        }
        return m.create(v, new Shape(batch, n, d));
    }

    @ParameterizedTest(name = "{0}")
    // LayerScale with exact GELU, DINO v1, CLIP's QuickGELU, MAE, timm
    @ValueSource(strings = {"dinov2_orig_tiny_reg", "dino_v1_tiny", "clip_hf_vision", "mae_tiny", "timm_vit_tiny"})
    void everyBlockMatchesTheOpByOpBlock(String model) {
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir(model)).loadViT(m)) {
            long d = vit.config().embedDim();
            NDArray x = tokens(m, 2, 17, d);
            for (int i = 0; i < vit.blocks().size(); i++) {
                Block block = vit.blocks().get(i);
                float[] fused = block.forward(x, false).output().toFloatArray();
                assertThat(maxAbsDiff(fused, opByOp(block, x))).as("%s block %d", model, i).isLessThan(2e-5f);
                assertThat(block.fused().packedWeights()).isEqualTo(4);
            }
            assertThat(FusedTransformerBlock.loaded()).as("the module for %s's blocks loaded", model)
                    .anyMatch(s -> s.layerScale() == vit.config().layerScale() && s.numHeads() == vit.config().numHeads()
                            && s.quickGelu() == (vit.config().activation() == Mlp.Activation.QUICK_GELU));
        }
    }

    @Test
    void reorderedWeightsFollowInPlaceUpdatesAndTrainedWeightsStayPlain() {
        // An optimizer step changes a weight in place; a reordered copy made before it must not be used after it.
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            NDArray x = tokens(m, 2, 21, vit.config().embedDim());
            Block block = vit.blocks().get(2);
            float[] before = block.forward(x, false).output().toFloatArray();
            assertThat(block.fused().packedWeights()).as("all four linear weights reordered").isEqualTo(4);
            Scalar.muli(block.mlp().fc2().weight(), 1.5f);
            Scalar.muli(block.attn().qkv().weight(), 0.5f);
            float[] after = block.forward(x, false).output().toFloatArray();
            assertThat(maxAbsDiff(after, before)).as("the update shows at once").isGreaterThan(1e-2f);
            assertThat(maxAbsDiff(after, opByOp(block, x))).isLessThan(2e-5f);
            assertThat(block.fused().packedWeights()).as("reordered again after the call").isEqualTo(4);
            assertThat(maxAbsDiff(block.forward(x, false).output().toFloatArray(), after)).isLessThan(2e-5f);

            Autograd.requireGradient(block.mlp().fc1().weight(), true);
            Scalar.muli(block.mlp().fc1().weight(), 2f);
            assertThat(maxAbsDiff(block.forward(x, false).output().toFloatArray(), opByOp(block, x))).isLessThan(2e-5f);
            assertThat(block.fused().packedWeights()).as("a weight that takes gradients stays plain").isEqualTo(3);
            int reorders = block.fused().reorders();
            for (int step = 0; step < 2; step++) {
                Scalar.muli(block.mlp().fc1().weight(), 0.9f);
                assertThat(maxAbsDiff(block.forward(x, false).output().toFloatArray(), opByOp(block, x))).isLessThan(2e-5f);
            }
            assertThat(block.fused().reorders()).as("steps on a trained weight reorder nothing").isEqualTo(reorders);
        }
    }

    private static float[] opByOp(Block block, NDArray x) {
        return opByOp(() -> block.forward(x, false).output().toFloatArray());
    }

    /** What {@code run} gives with the one-call block turned off. */
    private static <T> T opByOp(Supplier<T> run) {
        FusedTransformerBlock.enabled = false;
        try {
            return run.get();
        } finally {
            FusedTransformerBlock.enabled = true;
        }
    }

    @Test
    void keepingTheAttentionChangesNoOutputAndItsProbabilitiesAreTheOpByOpOnes() {
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            NDArray x = tokens(m, 2, 21, vit.config().embedDim());
            Block block = vit.blocks().get(1);
            var without = block.forward(x, false);
            var with = block.forward(x, true);
            assertThat(with.output().toFloatArray()).isEqualTo(without.output().toFloatArray());
            assertThat(with.probs().toFloatArray()).isEqualTo(opByOp(() -> block.forward(x, true).probs().toFloatArray()));
        }
    }

    @Test
    void itsOutputFeedsARecordedPassWhoseGradientsMatchTheOpByOpOnes() {
        // The frozen prefix of fine-tuning runs unrecorded, the trained blocks after it recorded:
        // an InferenceMode tensor there would make backward refuse.
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            int depth = vit.config().depth();
            NDArray x = tokens(m, 1, 21, vit.config().embedDim());
            float[][] grads = new float[2][];
            for (int run = 0; run < 2; run++) {
                FusedTransformerBlock.enabled = run == 0;
                try (NDManager s = m.newSubManager()) {
                    x.tempAttach(s);
                    NDArray prefix = vit.forward(x, ForwardPass.blocks(0, depth - 1)).tokens();
                    prefix.setRequiresGradient(true);
                    try (GradientCollector c = Autograd.record()) {
                        NDArray out = vit.forward(prefix, ForwardPass.blocks(depth - 1, depth).withGradients(true)).tokens();
                        c.backward(out.square().sum());
                    }
                    grads[run] = prefix.getGradient().toFloatArray();
                } finally {
                    FusedTransformerBlock.enabled = true;
                }
            }
            assertThat(maxAbsDiff(grads[0], grads[1])).isLessThan(1e-4f);
            assertThat(maxAbsDiff(grads[0], new float[grads[0].length])).as("a gradient flowed").isGreaterThan(0f);
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
