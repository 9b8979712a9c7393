package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.unmask.core.tensor.Scalar;

/**
 * The transformer feed-forward: fc1 → activation → fc2, or a gated SwiGLU (DINOv2 giant, DINOv3
 * with {@code use_gated_mlp}): one packed projection split in two halves, SiLU(first) · second,
 * then the output projection.
 */
public record Mlp(Linear fc1, Linear fc2, boolean swiglu, Activation activation) {

    /** The nonlinearity of a plain (ungated) feed-forward. */
    public enum Activation {
        /** Exact (erf) GELU: DINO, DINOv2, DINOv3, MAE, timm. */
        GELU,
        /** OpenAI CLIP's x·σ(1.702x); exact GELU in its place moves CLIP's features by ~3e-2. */
        QUICK_GELU;

        public NDArray apply(NDArray x) {
            return apply(x, false);
        }

        /** @param inPlace {@code x} is a fresh array outside autograd and may be overwritten (QuickGELU's last product) */
        NDArray apply(NDArray x, boolean inPlace) {
            return switch (this) {
                case GELU -> ai.djl.nn.Activation.gelu(x);
                case QUICK_GELU -> {
                    NDArray gate = ai.djl.nn.Activation.sigmoid(Scalar.mul(x, 1.702f));
                    yield inPlace ? x.muli(gate) : x.mul(gate);
                }
            };
        }
    }

    public Mlp(Linear fc1, Linear fc2, boolean swiglu) {
        this(fc1, fc2, swiglu, Activation.GELU);
    }

    public NDArray forward(NDArray x) {
        return forward(x, false);
    }

    /** @param inPlace outside autograd: the activation may overwrite fc1's fresh output */
    public NDArray forward(NDArray x, boolean inPlace) {
        NDArray h = fc1.forward(x);
        if (swiglu) {
            NDList halves = h.split(2, -1);
            NDArray a = halves.get(0);
            h = a.mul(ai.djl.nn.Activation.sigmoid(a)).mul(halves.get(1));
        } else {
            h = activation.apply(h, inPlace);
        }
        return fc2.forward(h);
    }
}
