package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;

/** Per-channel residual-branch scale of DINOv2 (and timm's {@code init_values}); identity when absent. */
public record LayerScale(NDArray gamma) {
    public NDArray forward(NDArray x) {
        return gamma == null ? x : x.mul(gamma);
    }

    /** The same, overwriting {@code x}: only for a fresh array outside autograd. */
    public NDArray applyInPlace(NDArray x) {
        return gamma == null ? x : x.muli(gamma);
    }
}
