package dev.unmask.core.vit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.NativeMemory;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.vit.layers.PositionResampling;
import org.junit.jupiter.api.Test;

/** Ten thousand forward passes must not grow native memory: every intermediate is freed per block. */
class NativeMemoryTest {

    @Test
    void tenThousandForwardCallsDoNotGrowNativeMemory() throws Exception {
        ViTConfig cfg = ViTConfig.builder().family("dinov2").embedDim(64).depth(2).numHeads(4).mlpHidden(256).patchSize(8).posGrid(6)
                .numRegisters(2).layerScale(true).resampling(PositionResampling.DINOV2_REGISTERS).imageSize(32).build();
        try (NDManager root = NDManager.newBaseManager(); VisionTransformer vit = RandomWeights.vitModel(cfg, 3, root)) {
            NDArray input = root.randomNormal(new Shape(2, 3, 32, 32));
            long before = 0;
            float checksum = 0;
            for (int i = 0; i < 11_000; i++) {
                if (i == 1_000) {
                    before = NativeMemory.nativeKiB();
                }
                // The caller's own scope, as the CLI and trainers use it.
                try (NDManager call = root.newSubManager()) {
                    input.tempAttach(call);
                    ViTFeatures f = vit.features(input, 4, i % 2 == 0, true);
                    checksum += f.clsFinal().getFloat(0, 0);
                }
            }
            long after = NativeMemory.nativeKiB();
            System.out.printf("native memory after 1,000 calls %d KiB, after 11,000 calls %d KiB (RSS %d KiB)%n", before, after, NativeMemory.rssKiB());
            assertThat(Float.isFinite(checksum)).isTrue();
            assertThat(after - before).as("native memory growth over 10,000 calls (KiB)").isLessThan(48 * 1024);
        }
    }
}
