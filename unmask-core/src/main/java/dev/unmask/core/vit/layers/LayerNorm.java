package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis. The eps is part of the family's numerics (1e-6 in all our ViTs). */
public record LayerNorm(NDArray weight, NDArray bias, float eps) {
    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(weight.getShape().get(0)), weight, bias, eps)
                .singletonOrThrow();
    }
}
