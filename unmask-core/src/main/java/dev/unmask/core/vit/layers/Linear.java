package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;

/** y = x·Wᵀ + b, with W stored [out, in] as PyTorch stores it (one fused addmm in libtorch). */
public record Linear(NDArray weight, NDArray bias) {
    public NDArray forward(NDArray x) {
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }

    public int outFeatures() {
        return (int) weight.getShape().get(0);
    }
}
