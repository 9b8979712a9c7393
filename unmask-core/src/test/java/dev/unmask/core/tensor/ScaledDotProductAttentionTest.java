package dev.unmask.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * The TorchScript module Unmask writes by hand loads in this libtorch and computes
 * softmax(q·kᵀ/√d)·v, forward and backward, as the two matmuls and softmax do.
 */
class ScaledDotProductAttentionTest {
    static NDArray plain(NDArray q, NDArray k, NDArray v) {
        float scale = (float) (1 / Math.sqrt(q.getShape().get(3)));
        return Scalar.mul(q, scale).matMul(k.transpose(0, 1, 3, 2)).softmax(-1).matMul(v);
    }

    static float maxAbs(NDArray a) {
        return a.abs().max().getFloat();
    }

    @Test
    void theHandWrittenModuleLoadsAndMatchesTheUnfusedFormula() {
        assertThat(ScaledDotProductAttention.available()).as("libtorch loads the module").isTrue();
        try (NDManager m = NDManager.newBaseManager()) {
            // Packed qkv split and transposed, as Attention passes them: strided views, not copies.
            NDArray packed = m.randomNormal(new Shape(2, 21, 3, 4, 16)).transpose(2, 0, 3, 1, 4);
            NDArray q = packed.get(0);
            NDArray k = packed.get(1);
            NDArray v = packed.get(2);
            NDArray fused = ScaledDotProductAttention.apply(q, k, v);
            assertThat(fused.getShape()).isEqualTo(new Shape(2, 4, 21, 16));
            assertThat(maxAbs(fused.sub(plain(q, k, v)))).isLessThan(1e-5f);
            assertThat(fused.getManager()).isSameAs(q.getManager());
        }
    }

    @Test
    void gradientsFlowThroughItAsThroughTheUnfusedFormula() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] grads = new NDArray[2];
            NDArray w = m.randomNormal(new Shape(1, 2, 9, 8));
            float[] qValues = m.randomNormal(new Shape(1, 2, 9, 8)).toFloatArray();
            for (int fused = 0; fused < 2; fused++) {
                NDArray q = m.create(qValues, new Shape(1, 2, 9, 8));
                q.setRequiresGradient(true);
                NDArray x = m.arange(144f).reshape(1, 2, 9, 8).div(100f);
                try (GradientCollector c = Autograd.record()) {
                    NDArray k = x.sin();
                    NDArray v = x.cos();
                    NDArray out = fused == 1 ? ScaledDotProductAttention.apply(q, k, v) : plain(q, k, v);
                    c.backward(out.mul(w).sum());
                }
                grads[fused] = Autograd.takeGradient(q, m);
            }
            assertThat(maxAbs(grads[0])).isGreaterThan(1e-3f);
            assertThat(maxAbs(grads[0].sub(grads[1]))).isLessThan(1e-5f);
        }
    }
}
