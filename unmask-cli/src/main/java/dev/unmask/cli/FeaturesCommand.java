package dev.unmask.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.model.Normalization;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNetFeatures;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTFeatures;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask features}: a backbone's features for one image, as the research code computes them. */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = {"Run a backbone on one image at the image's own size and print its features.",
            "With no --model and --image, runs the built-in random-weight ViT-S/14 on a built-in sample picture."})
final class FeaturesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR|NAME", description = "Model directory (config.json + model.safetensors) or a pulled name.")
    String model;

    @Option(names = "--image", paramLabel = "FILE", description = "PNG (or JPEG/BMP) image; fed as is unless --resize.")
    Path image;

    @Option(names = "--resize", paramLabel = "N", description = "Resize the image to NxN first (bicubic).")
    Integer resize;

    @Option(names = "--json", description = "Print JSON: cls_final, cls_last4, patch_mean_final, attn_last_cls (+ reg_final, logits).")
    boolean json;

    @Option(names = "--tokens", description = "Also print tokens_final (all final normed tokens).")
    boolean tokens;

    @Override
    public Integer call() throws Exception {
        Path dir;
        if (model == null) {
            dir = BuiltinModels.demoBackbone();
            spec.commandLine().getErr().println("unmask: no --model given: using the built-in " + BuiltinModels.DEMO_BACKBONE
                    + " (random weights of the real ViT-S/14 size, features not meaningful); `unmask pull dinov2_vits14` gets real ones");
        } else {
            dir = ModelArgument.resolve(model);
        }
        Path img = image != null ? image : BuiltinModels.sampleImage();
        if (resize != null && (resize < 1 || resize > 4096)) {
            throw new UserError("--resize must be between 1 and 4096");
        }
        ModelDirectory md = ModelDirectory.open(dir);
        boolean convnet = md.isConvNet();
        if (!convnet) {
            md.vitSpec();
        }
        int[][][] rgb = ImageTensor.readRgb(img);
        if (resize != null) {
            rgb = ImageTensor.resize(rgb, resize);
        }
        if (convnet) {
            return convNetFeatures(md, img, rgb);
        }
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = md.loadViT(m)) {
            ViTConfig cfg = vit.config();
            if (h % cfg.patchSize() != 0 || w % cfg.patchSize() != 0) {
                throw new UserError(img + ": " + w + "x" + h + " is not a multiple of the patch size " + cfg.patchSize()
                        + "; use --resize N with N a multiple of " + cfg.patchSize());
            }
            long loaded = System.nanoTime();
            NDArray x = m.create(ImageTensor.normalize(rgb, cfg.mean(), cfg.std()), new Shape(1, 3, h, w));
            ViTFeatures f = vit.features(x, 4, false, true);
            ObjectNode out = StrictJson.mapper().createObjectNode();
            put(out, "cls_final", f.clsFinal().toFloatArray(), 0);
            put(out, "cls_last4", f.clsLast().toFloatArray(), cfg.embedDim());
            put(out, "patch_mean_final", f.patchTokens().mean(new int[] {1}).toFloatArray(), 0);
            put(out, "attn_last_cls", f.attentionClsToPatches().toFloatArray(), f.gridH() * f.gridW());
            if (cfg.numRegisters() > 0) {
                put(out, "reg_final", f.registers().toFloatArray(), cfg.embedDim());
            }
            NDArray logits = vit.logits(f);
            if (logits != null) {
                put(out, "logits", logits.toFloatArray(), 0);
            }
            if (tokens) {
                put(out, "tokens_final", f.tokens().toFloatArray(), cfg.embedDim());
            }
            long done = System.nanoTime();
            if (json) {
                spec.commandLine().getOut().println(StrictJson.mapper().writeValueAsString(out));
            } else {
                var o = spec.commandLine().getOut();
                o.printf("model      %s (%s, dim %d, depth %d, heads %d, patch %d, registers %d)%n", dir, cfg.family(),
                        cfg.embedDim(), cfg.depth(), cfg.numHeads(), cfg.patchSize(), cfg.numRegisters());
                o.printf("image      %s (%dx%d -> %dx%d patches)%n", img, w, h, f.gridW(), f.gridH());
                float[] cls = f.clsFinal().toFloatArray();
                o.printf("cls_final  [%d] norm %.4f, first %s%n", cls.length, norm(cls), head(cls));
                o.printf("attention  last block, %d heads x %d patches%n", cfg.numHeads(), f.gridH() * f.gridW());
                if (logits != null) {
                    o.printf("logits     %s%n", head(logits.toFloatArray()));
                }
                o.printf("time       load %.0f ms, forward %.0f ms (use --json for all values)%n",
                        (loaded - start) / 1e6, (done - loaded) / 1e6);
            }
        }
        return 0;
    }

    /** ConvNets: pooled pre-classifier features and the checkpoint's own logits. */
    private int convNetFeatures(ModelDirectory md, Path img, int[][][] rgb) throws Exception {
        Normalization norm = md.normalization();
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(); ConvNet net = md.loadConvNet(m)) {
            long loaded = System.nanoTime();
            NDArray x = m.create(ImageTensor.normalize(rgb, norm.mean(), norm.std()), new Shape(1, 3, h, w));
            ConvNetFeatures f = net.forward(x, 0);
            ObjectNode out = StrictJson.mapper().createObjectNode();
            float[] pooled = f.pooled().toFloatArray();
            put(out, "features", pooled, 0);
            if (f.logits() != null) {
                put(out, "logits", f.logits().toFloatArray(), 0);
            }
            long done = System.nanoTime();
            if (json) {
                spec.commandLine().getOut().println(StrictJson.mapper().writeValueAsString(out));
            } else {
                var o = spec.commandLine().getOut();
                o.printf("model      %s (%s, %d features, %d classes)%n", md.dir(), net.architecture(), net.numFeatures(), net.numClasses());
                o.printf("image      %s (%dx%d)%n", img, w, h);
                o.printf("features   [%d] norm %.4f, first %s%n", pooled.length, norm(pooled), head(pooled));
                if (f.logits() != null) {
                    o.printf("logits     %s%n", head(f.logits().toFloatArray()));
                }
                o.printf("time       load %.0f ms, forward %.0f ms (use --json for all values)%n",
                        (loaded - start) / 1e6, (done - loaded) / 1e6);
            }
        }
        return 0;
    }

    /**
     * Adds {@code v} under {@code key}, refusing non-finite values: weights that are finite but
     * huge overflow float32 inside the network, and "NaN" printed as features would pass for a result.
     */
    private void put(ObjectNode out, String key, float[] v, int rowLen) {
        for (float f : v) {
            if (!Float.isFinite(f)) {
                throw new UserError((model == null ? "the built-in model" : model) + ": the model gives non-finite " + key
                        + " values (" + f + ") for this image: its weights overflow float32 or are broken");
            }
        }
        ArrayNode a = out.putArray(key);
        if (rowLen <= 0) {
            for (float f : v) {
                a.add(f);
            }
            return;
        }
        for (int r = 0; r < v.length / rowLen; r++) {
            ArrayNode row = a.addArray();
            for (int i = 0; i < rowLen; i++) {
                row.add(v[r * rowLen + i]);
            }
        }
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * f;
        }
        return Math.sqrt(s);
    }

    private static String head(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(4, v.length); i++) {
            sb.append(i > 0 ? ", " : "").append(String.format("%.4f", v[i]));
        }
        return sb.append(v.length > 4 ? ", ...]" : "]").toString();
    }
}
