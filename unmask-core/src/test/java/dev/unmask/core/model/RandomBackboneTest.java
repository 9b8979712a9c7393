package dev.unmask.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A random DINOv2-style model directory reads back as the config it was written from, with its weights. */
class RandomBackboneTest {
    @TempDir
    Path dir;

    @Test
    void writtenDirectoryLoadsAsTheSameArchitectureAndWeights() {
        ViTConfig small = BuiltinModels.vitSmall14();
        ViTConfig cfg = small.toBuilder().embedDim(96).depth(2).numHeads(3).mlpHidden(384).build();
        Path written = BuiltinModels.writeRandomDinov2(dir.resolve("tiny"), "dinov2_vits14", cfg, 5);
        ModelDirectory md = ModelDirectory.open(written);
        ViTConfig read = md.vitSpec().config();
        assertThat(read.embedDim()).isEqualTo(96);
        assertThat(read.depth()).isEqualTo(2);
        assertThat(read.numHeads()).isEqualTo(3);
        assertThat(read.parameterShapes().keySet()).isEqualTo(cfg.parameterShapes().keySet());
        assertThat(read.flops(224, 224)).isEqualTo(cfg.flops(224, 224)).isLessThan(small.flops(224, 224));
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = md.loadViT(m)) {
            assertThat(vit.parameters().get("blocks.1.mlp.fc2.weight").toFloatArray())
                    .isEqualTo(RandomWeights.vit(cfg, 5).get("blocks.1.mlp.fc2.weight"));
        }
    }
}
