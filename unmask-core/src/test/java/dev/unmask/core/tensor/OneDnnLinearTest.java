package dev.unmask.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's linear, reached through a hand-written TorchScript module, loads in this libtorch (a
 * silent fallback to addmm would cost ViT-L a quarter of its speed and fail nothing else), computes
 * x·Wᵀ + b on named parameters and 3-D inputs, and stays out of recorded passes.
 */
class OneDnnLinearTest {
    @Test
    void loadsAndComputesTheLinearOnNamedParameters() {
        assertThat(OneDnnLinear.usable()).as("libtorch loads the module").isTrue();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 21, 64));
            NDArray w = m.randomNormal(new Shape(192, 64));
            NDArray b = m.randomNormal(new Shape(192));
            // Parameters carry names, which DJL would read as a dict key.
            w.setName("blocks.0.attn.qkv.weight");
            b.setName("blocks.0.attn.qkv.bias");
            NDArray y = OneDnnLinear.apply(x, w, b);
            NDArray expected = ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow();
            assertThat(y.getShape()).isEqualTo(new Shape(2, 21, 192));
            assertThat(y.sub(expected).abs().max().getFloat()).isLessThan(1e-4f);
            assertThat(w.getName()).isEqualTo("blocks.0.attn.qkv.weight");
        }
    }

    @Test
    void aRecordedPassKeepsAddmmWhichHasABackward() {
        try (GradientCollector c = Autograd.record()) {
            assertThat(OneDnnLinear.usable()).isFalse();
        }
        assertThat(OneDnnLinear.usable()).isTrue();
    }
}
