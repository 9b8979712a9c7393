package dev.unmask.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.Golden;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.tensor.Tensors;
import dev.unmask.core.vit.VisionTransformer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Approach 2's trainable sets and the frozen-prefix cache, on a DINOv2 with registers (depth 4). */
class FineTuneModelTest {
    static final int[] LABELS = {0, 1, 1, 0, 1, 0};

    static VisionTransformer backbone(NDManager m) {
        return ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m);
    }

    static Head head(NDManager m) {
        return Head.initialise(HeadSpec.linear(FeatureVariant.CLS_LAST, 1, 1, 64), 4, m);
    }

    static Map<String, float[]> run(VisionTransformer vit, Head head, List<String> names, int fromBlock, NDArray batch, NDManager m) {
        FineTuneModel model = new FineTuneModel(vit, head, names, fromBlock);
        try (AdamW opt = new AdamW(AdamW.Settings.paper(), m)) {
            for (int i = 0; i < 3; i++) {
                TrainStep.run(model, batch, LABELS, opt, null, false);
            }
        }
        return Tensors.values(model.trainableParameters());
    }

    @Test
    void finetuneWithoutThePrefixCacheTrainsTheTokensThroughTheFrozenBlocks() {
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = backbone(m)) {
            List<String> names = new BackboneTuning(BackboneTuning.FINETUNE, 1, true).parameterNames(vit.config());
            assertThat(names).startsWith("cls_token", "register_tokens").contains("blocks.3.ls2.gamma", "norm.bias")
                    .noneMatch(n -> n.startsWith("blocks.2.") || n.startsWith("pos_embed") || n.startsWith("patch_embed"));
            Map<String, float[]> before = Tensors.values(vit.parameters());
            NDArray images = m.randomNormal(new Shape(LABELS.length, 3, 56, 56));
            Map<String, float[]> after = run(vit, head(m), names, 0, images, m);
            for (String name : vit.parameters().keySet()) {
                boolean trained = names.contains(name);
                float[] now = vit.parameters().get(name).toFloatArray();
                if (trained) {
                    assertThat(now).as(name + " is trained").isNotEqualTo(before.get(name));
                    assertThat(after.get(name)).isEqualTo(now);
                } else {
                    assertThat(now).as(name + " stays frozen").isEqualTo(before.get(name));
                }
            }
        }
    }

    @Test
    void lnTuningTrainsOnlyLayerNormsAndTheHead() {
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = backbone(m)) {
            List<String> names = new BackboneTuning(BackboneTuning.LNTUNE, 4, false).parameterNames(vit.config());
            assertThat(names).hasSize(4 * 4 + 2).allMatch(n -> n.contains("norm"));
            Map<String, float[]> before = Tensors.values(vit.parameters());
            run(vit, head(m), names, 0, m.randomNormal(new Shape(LABELS.length, 3, 56, 56)), m);
            for (String name : vit.parameters().keySet()) {
                assertThat(java.util.Arrays.equals(vit.parameters().get(name).toFloatArray(), before.get(name)))
                        .as(name).isEqualTo(!names.contains(name));
            }
        }
    }

    /**
     * The prefix cache changes nothing but the cost: training the last block from the stored
     * output of blocks 0..2 gives what training it from images (tokens frozen) gives.
     */
    @Test
    void trainingFromTheCachedPrefixEqualsRecomputingIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray images = m.randomNormal(new Shape(LABELS.length, 3, 56, 56));
            Map<String, float[]> viaImages;
            Map<String, float[]> viaPrefix;
            try (VisionTransformer vit = backbone(m)) {
                List<String> names = new BackboneTuning(BackboneTuning.FINETUNE, 1, false).parameterNames(vit.config());
                viaImages = run(vit, head(m), names, 0, images, m);
            }
            try (VisionTransformer vit = backbone(m)) {
                List<String> names = new BackboneTuning(BackboneTuning.FINETUNE, 1, false).parameterNames(vit.config());
                NDArray prefix = TrainingRun.prefix(vit, images, 3);
                assertThat(prefix.getShape()).isEqualTo(new Shape(LABELS.length, 1 + 4 + 16, 64));
                viaPrefix = run(vit, head(m), names, 3, prefix, m);
                assertThatThrownBy(() -> new FineTuneModel(vit, head(m),
                        new BackboneTuning(BackboneTuning.FINETUNE, 1, true).parameterNames(vit.config()), 3))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cls_token");
            }
            assertThat(viaPrefix.keySet()).isEqualTo(viaImages.keySet());
            viaImages.forEach((k, v) -> assertThat(Golden.relativeError(viaPrefix.get(k), toDouble(v))).as(k).isLessThan(1e-6));
        }
    }

    /** Gradient accumulation over slices of the batch gives the full batch's gradients. */
    @Test
    void microBatchesAccumulateTheFullBatchGradient() {
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = backbone(m)) {
            List<String> names = new BackboneTuning(BackboneTuning.FINETUNE, 1, false).parameterNames(vit.config());
            FineTuneModel model = new FineTuneModel(vit, head(m), names, 0);
            NDArray images = m.randomNormal(new Shape(LABELS.length, 3, 56, 56));
            Optimizer none = new Sgd(new Sgd.Settings(1e-30));
            TrainStep.Result whole = TrainStep.run(model, images, LABELS, none, null, true, 0);
            TrainStep.Result sliced = TrainStep.run(model, images, LABELS, none, null, true, 4);
            assertThat(sliced.loss()).isCloseTo(whole.loss(), org.assertj.core.data.Offset.offset(1e-6));
            whole.gradients().forEach((k, g) ->
                    assertThat(Golden.relativeError(sliced.gradients().get(k), toDouble(g))).as(k).isLessThan(1e-5));
        }
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
