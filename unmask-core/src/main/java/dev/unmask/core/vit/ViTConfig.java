package dev.unmask.core.vit;

import dev.unmask.core.image.Normalization;
import dev.unmask.core.vit.layers.Mlp;
import dev.unmask.core.vit.layers.PositionResampling;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides a ViT's numerics, whatever checkpoint family it came from. The model
 * never asks where its weights came from; families differ only in the values here.
 *
 * @param family         research family, for messages and provenance ("dinov2", "dino_v1", "timm", "mae")
 * @param posGrid        side M of the learned position grid (M×M patch positions)
 * @param posPrefix      learned position entries before the patch grid: 1 (CLS), 0 (timm
 *                       {@code no_embed_class}: CLS token already holds it) or 1+R
 * @param mlpHidden      output width of the first feed-forward projection (2× for SwiGLU)
 * @param resampling     how the position grid is resized for another input size
 * @param imageSize      the input side the checkpoint was trained at (default input size)
 * @param activation     the feed-forward nonlinearity (exact GELU; CLIP's QuickGELU); SwiGLU ignores it
 * @param preNorm        a LayerNorm ({@code norm_pre}) on the embedded tokens before block 0 (CLIP's ln_pre)
 * @param patchBias      the patch embedding has a bias (CLIP's has none)
 * @param projectionDim  width of a bias-free projection of the final normed CLS ({@code proj.weight},
 *                       CLIP's visual_projection), or 0 without one
 * @param ropeTheta      0: learned absolute positions ({@code pos_embed}); otherwise DINOv3's axial
 *                       RoPE on the patch tokens with this base, and no position table
 * @param ropeStoredPeriods the checkpoint stores the RoPE periods ({@code rope.periods}; DINOv3's
 *                       research files hold them rounded to bfloat16) instead of computing them
 * @param keyBias        the key third of the qkv bias is used; false: it is zero whatever the
 *                       checkpoint holds (DINOv3's bias mask; transformers stores no key bias)
 */
public record ViTConfig(
        String family,
        int embedDim,
        int depth,
        int numHeads,
        int mlpHidden,
        boolean swiglu,
        int patchSize,
        int inChans,
        int posGrid,
        int posPrefix,
        int numRegisters,
        boolean layerScale,
        boolean qkvBias,
        float normEps,
        PositionResampling resampling,
        int numClasses,
        int imageSize,
        float[] mean,
        float[] std,
        Mlp.Activation activation,
        boolean preNorm,
        boolean patchBias,
        int projectionDim,
        float ropeTheta,
        boolean ropeStoredPeriods,
        boolean keyBias) {

    public static final float[] IMAGENET_MEAN = Normalization.IMAGENET.mean();
    public static final float[] IMAGENET_STD = Normalization.IMAGENET.std();

    public ViTConfig {
        if (embedDim <= 0 || embedDim > 16384 || numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("embed_dim " + embedDim + " must be a positive multiple of num_heads " + numHeads + " (at most 16384)");
        }
        if (depth <= 0 || depth > 256) {
            throw new IllegalArgumentException("depth " + depth + " must be between 1 and 256");
        }
        if (patchSize <= 0 || patchSize > 1024 || inChans <= 0 || inChans > 64) {
            throw new IllegalArgumentException("patch size " + patchSize + " / channels " + inChans + " out of range");
        }
        if (posGrid <= 0 || posGrid > 1024) {
            throw new IllegalArgumentException("trained image size gives a position grid of " + posGrid + " patches per side");
        }
        if (mlpHidden <= 0 || mlpHidden > 262144 || (swiglu && mlpHidden % 2 != 0)) {
            throw new IllegalArgumentException("feed-forward width " + mlpHidden + " out of range");
        }
        if (numRegisters < 0 || numRegisters > 256 || numClasses < 0 || numClasses > 1_000_000 || imageSize <= 0) {
            throw new IllegalArgumentException("registers, classes or input size out of range");
        }
        if (!(normEps > 0) || normEps > 1) {
            throw new IllegalArgumentException("layer_norm_eps " + normEps + " must be in (0, 1]");
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values");
        }
        mean = mean.clone();
        std = std.clone();
        if (activation == null) {
            throw new IllegalArgumentException("a ViT configuration needs an activation");
        }
        if (projectionDim < 0 || projectionDim > 65536) {
            throw new IllegalArgumentException("projection_dim " + projectionDim + " out of range");
        }
        if (!(ropeTheta >= 0) || !Float.isFinite(ropeTheta) || (ropeTheta > 0 && (embedDim / numHeads) % 4 != 0)) {
            throw new IllegalArgumentException("RoPE needs a finite positive base and a head dimension divisible by 4");
        }
        if (ropeStoredPeriods && ropeTheta == 0) {
            throw new IllegalArgumentException("stored RoPE periods without RoPE");
        }
        if (!keyBias && !qkvBias) {
            keyBias = true;
        }
    }

    /** True when positions come from RoPE and there is no learned position table. */
    public boolean rope() {
        return ropeTheta > 0;
    }

    /** A builder with the common defaults: 3 channels, CLS-only position prefix, qkv bias, eps 1e-6, ImageNet statistics, 224 px input. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.family = family;
        b.embedDim = embedDim;
        b.depth = depth;
        b.numHeads = numHeads;
        b.mlpHidden = mlpHidden;
        b.swiglu = swiglu;
        b.patchSize = patchSize;
        b.inChans = inChans;
        b.posGrid = posGrid;
        b.posPrefix = posPrefix;
        b.numRegisters = numRegisters;
        b.layerScale = layerScale;
        b.qkvBias = qkvBias;
        b.normEps = normEps;
        b.resampling = resampling;
        b.numClasses = numClasses;
        b.imageSize = imageSize;
        b.mean = mean;
        b.std = std;
        b.activation = activation;
        b.preNorm = preNorm;
        b.patchBias = patchBias;
        b.projectionDim = projectionDim;
        b.ropeTheta = ropeTheta;
        b.ropeStoredPeriods = ropeStoredPeriods;
        b.keyBias = keyBias;
        return b;
    }

    /** Named setters for {@link ViTConfig}; {@link #build} validates as the constructor does. */
    public static final class Builder {
        private String family;
        private int embedDim;
        private int depth;
        private int numHeads;
        private int mlpHidden;
        private boolean swiglu;
        private int patchSize;
        private int inChans = 3;
        private int posGrid;
        private int posTrainedImage;
        private int posPrefix = 1;
        private int numRegisters;
        private boolean layerScale;
        private boolean qkvBias = true;
        private float normEps = 1e-6f;
        private PositionResampling resampling;
        private int numClasses;
        private int imageSize = 224;
        private float[] mean = IMAGENET_MEAN;
        private float[] std = IMAGENET_STD;
        private Mlp.Activation activation = Mlp.Activation.GELU;
        private boolean preNorm;
        private boolean patchBias = true;
        private int projectionDim;
        private float ropeTheta;
        private boolean ropeStoredPeriods;
        private boolean keyBias = true;

        private Builder() {}

        public Builder activation(Mlp.Activation v) {
            activation = v;
            return this;
        }

        public Builder preNorm(boolean v) {
            preNorm = v;
            return this;
        }

        public Builder patchBias(boolean v) {
            patchBias = v;
            return this;
        }

        public Builder projectionDim(int v) {
            projectionDim = v;
            return this;
        }

        /** DINOv3's axial RoPE with base {@code theta} instead of a learned position table. */
        public Builder rope(float theta, boolean storedPeriods) {
            ropeTheta = theta;
            ropeStoredPeriods = storedPeriods;
            return this;
        }

        public Builder keyBias(boolean v) {
            keyBias = v;
            return this;
        }

        public Builder family(String v) {
            family = v;
            return this;
        }

        public Builder embedDim(int v) {
            embedDim = v;
            return this;
        }

        public Builder depth(int v) {
            depth = v;
            return this;
        }

        public Builder numHeads(int v) {
            numHeads = v;
            return this;
        }

        /** Output width of the first feed-forward projection (2× the inner width for SwiGLU). */
        public Builder mlpHidden(int v) {
            mlpHidden = v;
            return this;
        }

        public Builder swiglu(boolean v) {
            swiglu = v;
            return this;
        }

        public Builder patchSize(int v) {
            patchSize = v;
            return this;
        }

        public Builder inChans(int v) {
            inChans = v;
            return this;
        }

        /** Side M of the learned position grid; see also {@link #positionsTrainedAt}. */
        public Builder posGrid(int v) {
            posGrid = v;
            posTrainedImage = 0;
            return this;
        }

        /** The position grid learned at {@code imageSize} pixels: imageSize / patch size per side, resolved at {@link #build}. */
        public Builder positionsTrainedAt(int imageSize) {
            posTrainedImage = imageSize;
            return this;
        }

        public Builder posPrefix(int v) {
            posPrefix = v;
            return this;
        }

        public Builder numRegisters(int v) {
            numRegisters = v;
            return this;
        }

        public Builder layerScale(boolean v) {
            layerScale = v;
            return this;
        }

        public Builder qkvBias(boolean v) {
            qkvBias = v;
            return this;
        }

        public Builder normEps(float v) {
            normEps = v;
            return this;
        }

        public Builder resampling(PositionResampling v) {
            resampling = v;
            return this;
        }

        public Builder numClasses(int v) {
            numClasses = v;
            return this;
        }

        /** The input side the checkpoint was trained at (default input size). */
        public Builder imageSize(int v) {
            imageSize = v;
            return this;
        }

        public Builder normalization(float[] meanValues, float[] stdValues) {
            mean = meanValues;
            std = stdValues;
            return this;
        }

        public ViTConfig build() {
            if (family == null || resampling == null) {
                throw new IllegalArgumentException("a ViT configuration needs a family and a position resampling");
            }
            int grid = posGrid;
            if (posTrainedImage != 0) {
                if (patchSize <= 0) {
                    throw new IllegalArgumentException("patch_size must be positive");
                }
                if (posTrainedImage < patchSize) {
                    throw new IllegalArgumentException("image size " + posTrainedImage + " is smaller than the patch size " + patchSize);
                }
                grid = posTrainedImage / patchSize;
            }
            return new ViTConfig(family, embedDim, depth, numHeads, mlpHidden, swiglu, patchSize, inChans, grid, posPrefix,
                    numRegisters, layerScale, qkvBias, normEps, resampling, numClasses, imageSize, mean, std,
                    activation, preNorm, patchBias, projectionDim, ropeTheta, ropeStoredPeriods, keyBias);
        }
    }

    public int headDim() {
        return embedDim / numHeads;
    }

    /** Tokens before the patches: CLS and registers. */
    public int numPrefixTokens() {
        return 1 + numRegisters;
    }

    /** Width of the second feed-forward projection's input. */
    public int mlpInner() {
        return swiglu ? mlpHidden / 2 : mlpHidden;
    }

    /** Canonical tensor names and shapes this configuration needs, in a stable order. */
    public Map<String, long[]> parameterShapes() {
        Map<String, long[]> p = new LinkedHashMap<>();
        long d = embedDim;
        p.put("cls_token", new long[] {1, 1, d});
        if (numRegisters > 0) {
            p.put("register_tokens", new long[] {1, numRegisters, d});
        }
        if (rope()) {
            if (ropeStoredPeriods) {
                p.put("rope.periods", new long[] {headDim() / 4});
            }
        } else {
            p.put("pos_embed", new long[] {1, posPrefix + (long) posGrid * posGrid, d});
        }
        p.put("patch_embed.proj.weight", new long[] {d, inChans, patchSize, patchSize});
        if (patchBias) {
            p.put("patch_embed.proj.bias", new long[] {d});
        }
        if (preNorm) {
            p.put("norm_pre.weight", new long[] {d});
            p.put("norm_pre.bias", new long[] {d});
        }
        for (int i = 0; i < depth; i++) {
            String b = "blocks." + i + ".";
            p.put(b + "norm1.weight", new long[] {d});
            p.put(b + "norm1.bias", new long[] {d});
            p.put(b + "attn.qkv.weight", new long[] {3 * d, d});
            if (qkvBias) {
                p.put(b + "attn.qkv.bias", new long[] {3 * d});
            }
            p.put(b + "attn.proj.weight", new long[] {d, d});
            p.put(b + "attn.proj.bias", new long[] {d});
            if (layerScale) {
                p.put(b + "ls1.gamma", new long[] {d});
            }
            p.put(b + "norm2.weight", new long[] {d});
            p.put(b + "norm2.bias", new long[] {d});
            p.put(b + "mlp.fc1.weight", new long[] {mlpHidden, d});
            p.put(b + "mlp.fc1.bias", new long[] {mlpHidden});
            p.put(b + "mlp.fc2.weight", new long[] {d, mlpInner()});
            p.put(b + "mlp.fc2.bias", new long[] {d});
            if (layerScale) {
                p.put(b + "ls2.gamma", new long[] {d});
            }
        }
        p.put("norm.weight", new long[] {d});
        p.put("norm.bias", new long[] {d});
        if (projectionDim > 0) {
            p.put("proj.weight", new long[] {projectionDim, d});
        }
        if (numClasses > 0) {
            p.put("head.weight", new long[] {numClasses, d});
            p.put("head.bias", new long[] {numClasses});
        }
        return p;
    }

    /** Multiply-adds ×2 of one forward pass at an input of {@code h×w}, for GFLOP/s figures. */
    public double flops(int h, int w) {
        double n = numPrefixTokens() + (double) (h / patchSize) * (w / patchSize);
        double d = embedDim;
        double patch = 2.0 * (n - numPrefixTokens()) * d * inChans * patchSize * patchSize;
        double attnProj = 2.0 * n * d * 3 * d + 2.0 * n * d * d;
        double attnCore = 2.0 * 2.0 * n * n * d;
        double mlp = 2.0 * n * d * mlpHidden + 2.0 * n * mlpInner() * d;
        return patch + depth * (attnProj + attnCore + mlp);
    }
}
