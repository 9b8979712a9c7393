package dev.unmask.core.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.vit.ViTFeatures;
import dev.unmask.core.vit.VisionTransformer;

/** Turns a frozen backbone's output into what a head reads: [B, blocks, tokens, dim]. */
public final class HeadInput {
    private HeadInput() {}

    /** Runs the backbone (inference numerics) and keeps exactly what {@code variant} reads. */
    public static NDArray extract(VisionTransformer vit, NDArray images, FeatureVariant variant) {
        int n = variant.blocks(vit.config().depth());
        ViTFeatures f = vit.features(images, n, variant.allTokens(), false);
        long b = images.getShape().get(0);
        long d = vit.config().embedDim();
        if (!variant.allTokens()) {
            NDArray out = f.clsLast().reshape(b, n, 1, d);
            f.tokens().close();
            return out;
        }
        NDArray out = NDArrays.stack(new NDList(f.blockTokens()), 1);
        for (NDArray a : f.blockTokens()) {
            a.close();
        }
        f.clsLast().close();
        return out;
    }

    /** Tokens per image the head reads at an input of {@code h×w} pixels. */
    public static int tokens(VisionTransformer vit, FeatureVariant variant, int h, int w) {
        if (!variant.allTokens()) {
            return 1;
        }
        int p = vit.config().patchSize();
        return vit.config().numPrefixTokens() + (h / p) * (w / p);
    }

    public static Shape perImage(HeadSpec spec) {
        return new Shape(spec.blocks(), spec.tokens(), spec.dim());
    }
}
