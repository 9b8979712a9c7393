package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.UserError;

/**
 * The stride-p, kernel-p convolution of every ViT, computed as a matmul over non-overlapping
 * patches (the same sum, in another order). Output tokens are row-major over the patch grid.
 * The kernel is kept flattened to [D, C·p·p] so that no per-call reshape lands in the model's
 * long-lived NDManager.
 */
public record PatchEmbedding(Linear projection, int inChans, int patchSize) {

    /** From the convolution kernel [D, C, p, p] as checkpoints store it. */
    public static PatchEmbedding fromConv(NDArray kernel, NDArray bias) {
        long dim = kernel.getShape().get(0);
        int c = (int) kernel.getShape().get(1);
        int p = (int) kernel.getShape().get(2);
        return new PatchEmbedding(new Linear(kernel.reshape(dim, (long) c * p * p), bias), c, p);
    }

    public NDArray forward(NDArray images) {
        long b = images.getShape().get(0);
        long c = images.getShape().get(1);
        long h = images.getShape().get(2);
        long w = images.getShape().get(3);
        if (c != inChans) {
            throw new UserError("input has " + c + " channels, the model expects " + inChans);
        }
        if (h % patchSize != 0 || w % patchSize != 0) {
            throw new UserError("input " + w + "x" + h + " is not a multiple of the patch size " + patchSize
                    + " (resize it to a multiple of " + patchSize + ", e.g. with features --size)");
        }
        long gh = h / patchSize;
        long gw = w / patchSize;
        NDArray patches = images.reshape(b, c, gh, patchSize, gw, patchSize)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(b, gh * gw, c * patchSize * patchSize);
        return projection.forward(patches);
    }
}
