package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.tensor.OneDnnLinear;

/**
 * y = x·Wᵀ + b, with W stored [out, in] as PyTorch stores it: one fused addmm in libtorch, or
 * oneDNN's product in passes that record no autograd ({@link OneDnnLinear}).
 */
public record Linear(NDArray weight, NDArray bias) {
    public NDArray forward(NDArray x) {
        if (bias != null && OneDnnLinear.usable()) {
            return OneDnnLinear.apply(x, weight, bias);
        }
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }

    public int outFeatures() {
        return (int) weight.getShape().get(0);
    }
}
