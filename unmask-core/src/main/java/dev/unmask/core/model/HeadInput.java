package dev.unmask.core.model;



import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.unmask.core.vit.ForwardPass;
import dev.unmask.core.vit.VisionTransformer;
import java.util.List;

/** Turns a frozen backbone's output into what a head reads: [B, blocks, tokens, dim]. */
public final class HeadInput {
    private HeadInput() {}

    /** Runs the backbone (inference numerics, no gradients) and keeps exactly what {@code variant} reads. */
    public static NDArray extract(VisionTransformer vit, NDArray images, FeatureVariant variant) {
        int depth = vit.config().depth();
        NDManager parent = images.getManager();
        try (NDManager scope = parent.newSubManager()) {
            images.tempAttach(scope);
            ForwardPass.Output out = vit.forward(images, ForwardPass.blocks(0, depth).keepNormed(variant.blocks(depth)));
            NDArray input = fromNormedBlocks(out.normed(), variant);
            input.attach(parent);
            return input;
        }
    }

    /**
     * The head's input [B, blocks, tokens, D] from the normed outputs of the blocks it reads
     * (each [B, T, D], in block order): all tokens, or the CLS token alone. The probe's features,
     * fine-tuning and the gradient explanation all build it here, so they read the same values.
     */
    public static NDArray fromNormedBlocks(List<NDArray> normed, FeatureVariant variant) {
        NDList perBlock = new NDList(normed.size());
        for (NDArray tokens : normed) {
            perBlock.add(variant.allTokens() ? tokens : tokens.get(new NDIndex(":, 0:1, :")));
        }
        return NDArrays.stack(perBlock, 1);
    }

    /** Tokens per image the head reads at an input of {@code h×w} pixels. */
    public static int tokens(VisionTransformer vit, FeatureVariant variant, int h, int w) {
        if (!variant.allTokens()) {
            return 1;
        }
        int p = vit.config().patchSize();
        return vit.config().numPrefixTokens() + (h / p) * (w / p);
    }
}
