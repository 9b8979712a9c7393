package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

/**
 * The transformer feed-forward: fc1 → exact (erf) GELU → fc2, or, for DINOv2 giant, SwiGLU
 * (one packed projection split in two halves, SiLU(first) · second, then the output projection).
 */
public record Mlp(Linear fc1, Linear fc2, boolean swiglu) {
    public NDArray forward(NDArray x) {
        NDArray h = fc1.forward(x);
        if (swiglu) {
            NDList halves = h.split(2, -1);
            NDArray a = halves.get(0);
            h = a.mul(Activation.sigmoid(a)).mul(halves.get(1));
        } else {
            h = Activation.gelu(h);
        }
        return fc2.forward(h);
    }
}
