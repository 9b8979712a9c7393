package dev.unmask.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNetFeatures;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.model.GenDModel;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.image.Normalization;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTFeatures;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Path;

/** A backbone's features for one image at the image's own size (or resized), as the research code computes them. */
public final class Features {
    private Features() {}

    /**
     * @param modelDir a model folder (see {@link Models#resolve})
     * @param resize   the square side to resize to first (bicubic), or null to feed the image as it is
     * @param tokens   also return every final normed token
     */
    public static FeatureReport of(Path modelDir, Path image, Integer resize, boolean tokens) {
        Unmask.configureEngine();
        if (resize != null && (resize < 1 || resize > 4096)) {
            throw new UserError("--size must be between 1 and 4096");
        }
        ModelDirectory md = ModelDirectory.open(modelDir);
        boolean gend = md.isGenD();
        boolean convnet = !gend && md.isConvNet();
        if (gend) {
            GenDModel.head(md.config(), md.dir().resolve("config.json").toString());
            GenDModel.backboneSpec(md);
        } else if (!convnet) {
            md.vitSpec();
        }
        int[][][] rgb = ImageTensor.readRgb(image);
        if (resize != null) {
            rgb = ImageTensor.resize(rgb, resize);
        }
        FeatureReport r = gend ? genD(md, image, rgb) : convnet ? convNet(md, rgb) : vit(md, image, rgb, tokens);
        requireFinite(md.dir(), "cls_final", r.clsFinal());
        requireFinite(md.dir(), "cls_last4", r.clsLast4());
        requireFinite(md.dir(), "patch_mean_final", r.patchMeanFinal());
        requireFinite(md.dir(), "attn_last_cls", r.attnLastCls());
        requireFinite(md.dir(), "reg_final", r.regFinal());
        requireFinite(md.dir(), "logits", r.logits());
        requireFinite(md.dir(), "image_embeds", r.imageEmbeds());
        requireFinite(md.dir(), "tokens_final", r.tokensFinal());
        requireFinite(md.dir(), "features", r.features());
        return r;
    }

    /**
     * Weights that are finite but huge overflow float32 inside the network, and "NaN" printed as
     * features would pass for a result: a non-finite value is an error.
     */
    private static void requireFinite(Path model, String key, float[]... rows) {
        if (rows == null) {
            return;
        }
        for (float[] row : rows) {
            if (row == null) {
                continue;
            }
            for (float f : row) {
                if (!Float.isFinite(f)) {
                    throw new UserError(model + ": the model gives non-finite " + key + " values (" + f
                            + ") for this image: its weights overflow float32 or are broken");
                }
            }
        }
    }

    private static FeatureReport vit(ModelDirectory md, Path img, int[][][] rgb, boolean tokens) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = md.loadViT(m)) {
            ViTConfig cfg = vit.config();
            if (h % cfg.patchSize() != 0 || w % cfg.patchSize() != 0) {
                throw new UserError(img + ": " + w + "x" + h + " is not a multiple of the patch size " + cfg.patchSize()
                        + "; use --size N with N a multiple of " + cfg.patchSize());
            }
            long loaded = System.nanoTime();
            NDArray x = m.create(ImageTensor.normalize(rgb, cfg.mean(), cfg.std()), new Shape(1, 3, h, w));
            ViTFeatures f = vit.features(x, 4, false, true);
            NDArray logits = vit.logits(f);
            NDArray embeds = vit.imageEmbeds(f);
            FeatureReport r = new FeatureReport(Unmask.SCHEMA_VERSION, f.clsFinal().toFloatArray(), rows(f.clsLast().toFloatArray(), cfg.embedDim()),
                    f.patchTokens().mean(new int[] {1}).toFloatArray(), rows(f.attentionClsToPatches().toFloatArray(), f.gridH() * f.gridW()),
                    cfg.numRegisters() > 0 ? rows(f.registers().toFloatArray(), cfg.embedDim()) : null, logits == null ? null : logits.toFloatArray(),
                    embeds == null ? null : embeds.toFloatArray(), tokens ? rows(f.tokens().toFloatArray(), cfg.embedDim()) : null, null, null,
                    new FeatureReport.Model(String.format("%s (%s, dim %d, depth %d, heads %d, patch %d, registers %d)", md.dir(), cfg.family(),
                            cfg.embedDim(), cfg.depth(), cfg.numHeads(), cfg.patchSize(), cfg.numRegisters()), w, h, f.gridW(), f.gridH(),
                            (loaded - start) / 1e9, (System.nanoTime() - loaded) / 1e9));
            return r;
        }
    }

    /** A GenD detector: the features its head reads, its logits and P(fake), the image fed as the face crop it is. */
    private static FeatureReport genD(ModelDirectory md, Path img, int[][][] rgb) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(); GenDModel g = GenDModel.load(md, m)) {
            ViTConfig cfg = g.backboneConfig();
            if (h % cfg.patchSize() != 0 || w % cfg.patchSize() != 0) {
                throw new UserError(img + ": " + w + "x" + h + " is not a multiple of the patch size " + cfg.patchSize()
                        + "; use --size N with N a multiple of " + cfg.patchSize());
            }
            long loaded = System.nanoTime();
            NDArray x = m.create(ImageTensor.normalize(rgb, cfg.mean(), cfg.std()), new Shape(1, 3, h, w));
            ViTFeatures f = g.backbone().features(x, 1, false, false);
            float[] features = f.clsFinal().toFloatArray();
            float[] logits = g.logits(features);
            return new FeatureReport(Unmask.SCHEMA_VERSION, null, null, null, null, null, logits, null, null, features,
                    GenDModel.fakeProbability(logits), new FeatureReport.Model(String.format("%s (GenD, %s head, backbone %s: %s, dim %d, depth %d)",
                    md.dir(), g.head().id(), g.backboneRepo(), cfg.family(), cfg.embedDim(), cfg.depth()), w, h, f.gridW(), f.gridH(),
                    (loaded - start) / 1e9, (System.nanoTime() - loaded) / 1e9));
        }
    }

    /** ConvNets: pooled pre-classifier features and the checkpoint's own logits. */
    private static FeatureReport convNet(ModelDirectory md, int[][][] rgb) {
        Normalization norm = md.normalization();
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(); ConvNet net = md.loadConvNet(m)) {
            long loaded = System.nanoTime();
            NDArray x = m.create(ImageTensor.normalize(rgb, norm.mean(), norm.std()), new Shape(1, 3, h, w));
            ConvNetFeatures f = net.forward(x, 0);
            return new FeatureReport(Unmask.SCHEMA_VERSION, null, null, null, null, null, f.logits() == null ? null : f.logits().toFloatArray(), null, null,
                    f.pooled().toFloatArray(), null, new FeatureReport.Model(String.format("%s (%s, %d features, %d classes)", md.dir(), net.architecture(),
                    net.numFeatures(), net.numClasses()), w, h, 0, 0, (loaded - start) / 1e9, (System.nanoTime() - loaded) / 1e9));
        }
    }

    private static float[][] rows(float[] v, int rowLen) {
        float[][] out = new float[v.length / rowLen][rowLen];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(v, r * rowLen, out[r], 0, rowLen);
        }
        return out;
    }
}
