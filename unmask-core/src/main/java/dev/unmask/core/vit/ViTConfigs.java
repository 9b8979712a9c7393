package dev.unmask.core.vit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.ResearchLayout;
import dev.unmask.core.checkpoint.TransformersLayout;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.Normalization;
import dev.unmask.core.vit.layers.PositionResampling;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Hub {@code config.json} into a {@link ViTConfig} and the checkpoint layout of its
 * tensors. Two forms exist in the wild: transformers ({@code model_type}) and timm-style
 * ({@code architecture} + {@code model_args} + {@code pretrained_cfg}), the latter naming either a
 * timm model or a research torch-hub entry. Each family keeps its research code's numerics.
 */
public final class ViTConfigs {
    /** A ViT configuration and how its checkpoint names its tensors. */
    public record Spec(ViTConfig config, CheckpointLayout layout) {}

    private static final Pattern DINOV2 = Pattern.compile("^dinov2_vit([sblg])14(_reg)?$");
    private static final Pattern DINO_V1 = Pattern.compile("^dino_vit([sb])(16|8)$");
    private static final Pattern MAE = Pattern.compile("^mae_vit_(base|large|huge)_patch(16|14)$");
    private static final Pattern TIMM_VIT = Pattern.compile("^vit_(tiny|small|base|large|huge|giant)_patch(\\d+)(_.*)?$");

    private ViTConfigs() {}

    /** True when the config names a ViT we can build (otherwise it may be a ConvNet). */
    public static boolean isViT(JsonNode config) {
        if (config.has("model_type")) {
            return true;
        }
        String a = text(config, "architecture", "");
        return DINOV2.matcher(a).matches() || DINO_V1.matcher(a).matches() || MAE.matcher(a).matches()
                || TIMM_VIT.matcher(a).matches();
    }

    public static Spec parse(JsonNode config, String where) {
        try {
            return parseUnchecked(config, where);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new UserError(where + ": " + e.getMessage());
        }
    }

    private static Spec parseUnchecked(JsonNode config, String where) {
        if (!config.isObject()) {
            throw new UserError(where + ": config is not a JSON object");
        }
        if (config.has("model_type")) {
            return transformers(config, where);
        }
        if (config.has("architecture")) {
            return architecture(config, where);
        }
        throw new UserError(where + ": config has neither \"model_type\" (transformers) nor \"architecture\" (timm)");
    }

    // ---- transformers: model_type --------------------------------------------------------------

    private static Spec transformers(JsonNode c, String where) {
        String type = text(c, "model_type", null);
        Args a = new Args(c, where);
        // All four families use exact (erf) GELU; another activation would silently change every output.
        String act = a.text("hidden_act", "gelu");
        if (!act.equals("gelu")) {
            throw new UserError(where + ": hidden_act \"" + StrictJson.oneLine(act) + "\" is not supported (only exact \"gelu\")");
        }
        switch (type) {
            case "dinov2":
            case "dinov2_with_registers": {
                boolean reg = type.equals("dinov2_with_registers");
                int d = a.intv("hidden_size", 768);
                double ratio = a.num("mlp_ratio", 4.0);
                boolean swiglu = a.bool("use_swiglu_ffn", false);
                int r = reg ? a.intv("num_register_tokens", 4) : 0;
                ViTConfig cfg = new ViTConfig("dinov2", d, a.intv("num_hidden_layers", 12),
                        a.intv("num_attention_heads", 12), mlpHidden(d, ratio, swiglu), swiglu,
                        a.intv("patch_size", 14), a.intv("num_channels", 3),
                        grid(a.intv("image_size", 518), a.intv("patch_size", 14)), 1, r, true,
                        a.bool("qkv_bias", true), (float) a.num("layer_norm_eps", 1e-6),
                        reg ? PositionResampling.DINOV2_REGISTERS : PositionResampling.DINOV2,
                        0, 224, ViTConfig.IMAGENET_MEAN, ViTConfig.IMAGENET_STD);
                return new Spec(cfg, TransformersLayout.INSTANCE);
            }
            case "vit":
            case "vit_mae": {
                boolean mae = type.equals("vit_mae");
                int d = a.intv("hidden_size", 768);
                int p = a.intv("patch_size", 16);
                int img = a.intv("image_size", 224);
                // The research code of both uses LayerNorm eps 1e-6; the Hub configs say 1e-12.
                ViTConfig cfg = new ViTConfig(mae ? "mae" : "dino_v1", d, a.intv("num_hidden_layers", 12),
                        a.intv("num_attention_heads", 12), a.intv("intermediate_size", 4 * d), false,
                        p, a.intv("num_channels", 3), grid(img, p), 1, 0, false, a.bool("qkv_bias", true), 1e-6f,
                        mae ? PositionResampling.TIMM : PositionResampling.DINO_V1,
                        0, img, ViTConfig.IMAGENET_MEAN, ViTConfig.IMAGENET_STD);
                return new Spec(cfg, TransformersLayout.INSTANCE);
            }
            default:
                throw new UserError(where + ": unsupported model_type \"" + StrictJson.oneLine(type)
                        + "\" (supported: dinov2, dinov2_with_registers, vit, vit_mae)");
        }
    }

    // ---- architecture + model_args + pretrained_cfg -------------------------------------------

    private static Spec architecture(JsonNode c, String where) {
        String arch = text(c, "architecture", null);
        JsonNode margs = c.get("model_args");
        if (margs != null && !margs.isObject() && !margs.isNull()) {
            throw new UserError(where + ": \"model_args\" is not an object");
        }
        JsonNode pcfg = c.get("pretrained_cfg");
        if (pcfg != null && !pcfg.isObject() && !pcfg.isNull()) {
            throw new UserError(where + ": \"pretrained_cfg\" is not an object");
        }
        ObjectNode merged = StrictJson.mapper().createObjectNode();
        if (margs != null && margs.isObject()) {
            merged.setAll((ObjectNode) margs);
        }
        Args a = new Args(merged, where + " model_args");
        Args p = new Args(pcfg != null && pcfg.isObject() ? pcfg : StrictJson.mapper().createObjectNode(), where + " pretrained_cfg");
        Normalization norm = Normalization.fromConfig(c, where);
        float[] mean = norm.mean();
        float[] std = norm.std();
        int cfgInput = p.inputSize(0);
        // The root num_classes wins over model_args' and pretrained_cfg's, as timm.create_model is called with it.
        Args root = new Args(c, where);
        int numClasses = c.has("num_classes") ? root.intv("num_classes", 0) : a.intv("num_classes", 0);

        Matcher m;
        if ((m = DINOV2.matcher(arch)).matches()) {
            int[] size = switch (m.group(1)) {
                case "s" -> new int[] {384, 12, 6};
                case "b" -> new int[] {768, 12, 12};
                case "l" -> new int[] {1024, 24, 16};
                default -> new int[] {1536, 40, 24};
            };
            boolean reg = m.group(2) != null;
            int d = a.intv("embed_dim", size[0]);
            int patch = a.intv("patch_size", 14);
            int img = a.imgSize("img_size", 518);
            String ffn = a.text("ffn_layer", m.group(1).equals("g") ? "swiglufused" : "mlp");
            boolean swiglu = ffn.startsWith("swiglu");
            if (!swiglu && !ffn.equals("mlp")) {
                throw new UserError(where + ": unsupported ffn_layer \"" + ffn + "\"");
            }
            requireTrue(a, "proj_bias", where);
            requireTrue(a, "ffn_bias", where);
            double initValues = a.num("init_values", 1.0);
            PositionResampling rs = new PositionResampling(a.num("interpolate_offset", reg ? 0.0 : 0.1),
                    a.bool("interpolate_antialias", reg));
            ViTConfig cfg = new ViTConfig("dinov2", d, a.intv("depth", size[1]), a.intv("num_heads", size[2]),
                    mlpHidden(d, a.num("mlp_ratio", 4.0), swiglu), swiglu, patch, a.intv("in_chans", 3),
                    grid(img, patch), 1, a.intv("num_register_tokens", reg ? 4 : 0), initValues != 0,
                    a.bool("qkv_bias", true), 1e-6f, rs, 0, cfgInput > 0 ? cfgInput : 224, mean, std);
            return new Spec(cfg, ResearchLayout.ORIGINAL);
        }
        if ((m = DINO_V1.matcher(arch)).matches()) {
            boolean base = m.group(1).equals("b");
            int d = a.intv("embed_dim", base ? 768 : 384);
            int patch = a.intv("patch_size", Integer.parseInt(m.group(2)));
            int img = a.imgSize("img_size", 224);
            ViTConfig cfg = new ViTConfig("dino_v1", d, a.intv("depth", 12), a.intv("num_heads", base ? 12 : 6),
                    (int) (d * a.num("mlp_ratio", 4.0)), false, patch, a.intv("in_chans", 3), grid(img, patch), 1, 0,
                    false, a.bool("qkv_bias", true), 1e-6f, PositionResampling.DINO_V1, numClasses,
                    cfgInput > 0 ? cfgInput : img, mean, std);
            return new Spec(cfg, ResearchLayout.ORIGINAL);
        }
        if ((m = MAE.matcher(arch)).matches()) {
            int[] size = switch (m.group(1)) {
                case "base" -> new int[] {768, 12, 12};
                case "large" -> new int[] {1024, 24, 16};
                default -> new int[] {1280, 32, 16};
            };
            int d = a.intv("embed_dim", size[0]);
            int patch = a.intv("patch_size", Integer.parseInt(m.group(2)));
            int img = a.imgSize("img_size", 224);
            ViTConfig cfg = new ViTConfig("mae", d, a.intv("depth", size[1]), a.intv("num_heads", size[2]),
                    (int) (d * a.num("mlp_ratio", 4.0)), false, patch, a.intv("in_chans", 3), grid(img, patch), 1, 0,
                    false, a.bool("qkv_bias", true), 1e-6f, PositionResampling.TIMM, 0,
                    cfgInput > 0 ? cfgInput : img, mean, std);
            return new Spec(cfg, ResearchLayout.ORIGINAL);
        }
        if ((m = TIMM_VIT.matcher(arch)).matches()) {
            return timm(arch, m, a, numClasses, mean, std, cfgInput, where);
        }
        throw new UserError(where + ": unsupported architecture \"" + StrictJson.oneLine(arch) + "\"");
    }

    private static Spec timm(String arch, Matcher m, Args a, int numClasses, float[] mean, float[] std, int cfgInput, String where) {
        String suffix = m.group(3) == null ? "" : m.group(3);
        boolean dinov2 = suffix.endsWith("_dinov2");
        boolean reg = suffix.contains("_reg");
        int[] size = switch (m.group(1)) {
            case "tiny" -> new int[] {192, 12, 3};
            case "small" -> new int[] {384, 12, 6};
            case "base" -> new int[] {768, 12, 12};
            case "large" -> new int[] {1024, 24, 16};
            case "huge" -> new int[] {1280, 32, 16};
            default -> new int[] {1536, 40, 24};
        };
        if (m.group(1).equals("giant") && !dinov2) {
            throw new UserError(where + ": unsupported architecture \"" + arch + "\" (of the giant ViTs only the DINOv2 one is supported)");
        }
        if (suffix.contains("clip") || suffix.contains("siglip") || suffix.contains("eva")) {
            throw new UserError(where + ": unsupported architecture \"" + arch + "\" (CLIP-style towers are not supported yet)");
        }
        Matcher sz = Pattern.compile("_(\\d{3})(_|$)").matcher(suffix);
        int nameImg = dinov2 ? 518 : sz.find() ? Integer.parseInt(sz.group(1)) : 224;
        int d = a.intv("embed_dim", size[0]);
        int patch = a.intv("patch_size", Integer.parseInt(m.group(2)));
        int img = a.imgSize("img_size", cfgInput > 0 && !dinov2 ? cfgInput : nameImg);
        boolean swiglu = m.group(1).equals("giant");
        double ratio = a.num("mlp_ratio", swiglu ? 2.66667 * 2 : 4.0);
        int hidden = (int) (d * ratio);
        int regs = a.intv("reg_tokens", reg ? 4 : 0);
        boolean noEmbedClass = a.bool("no_embed_class", reg);
        if (!a.bool("class_token", true)) {
            throw new UserError(where + ": models without a class token are not supported");
        }
        if (a.bool("pre_norm", false)) {
            throw new UserError(where + ": pre_norm ViTs (CLIP towers) are not supported yet");
        }
        String pool = a.text("global_pool", "token");
        if (!pool.equals("token")) {
            throw new UserError(where + ": global_pool \"" + pool + "\" is not supported (only \"token\")");
        }
        if (a.bool("fc_norm", false)) {
            throw new UserError(where + ": fc_norm ViTs are not supported yet");
        }
        double initValues = a.num("init_values", dinov2 ? 1e-5 : 0.0);
        ViTConfig cfg = new ViTConfig("timm", d, a.intv("depth", size[1]), a.intv("num_heads", size[2]), hidden, swiglu,
                patch, a.intv("in_chans", 3), grid(img, patch), noEmbedClass ? 0 : 1 + regs, regs, initValues != 0,
                a.bool("qkv_bias", true), 1e-6f, PositionResampling.TIMM, numClasses,
                cfgInput > 0 ? cfgInput : Math.min(img, 224), mean, std);
        return new Spec(cfg, ResearchLayout.TIMM);
    }

    private static int grid(int imageSize, int patchSize) {
        if (patchSize <= 0) {
            throw new IllegalArgumentException("patch_size must be positive");
        }
        if (imageSize < patchSize) {
            throw new IllegalArgumentException("image size " + imageSize + " is smaller than the patch size " + patchSize);
        }
        return imageSize / patchSize;
    }

    /** DINOv2's SwiGLU width: 2/3 of the MLP width rounded up to 8, packed twice into one projection. */
    static int mlpHidden(int d, double ratio, boolean swiglu) {
        int hidden = (int) (d * ratio);
        if (!swiglu) {
            return hidden;
        }
        int h = ((int) (hidden * 2.0 / 3.0) + 7) / 8 * 8;
        return 2 * h;
    }

    private static void requireTrue(Args a, String key, String where) {
        if (!a.bool(key, true)) {
            throw new UserError(where + ": " + key + "=false is not supported");
        }
    }

    private static String text(JsonNode c, String key, String dflt) {
        JsonNode n = c.get(key);
        if (n == null || n.isNull()) {
            if (dflt == null) {
                throw new UserError("config: \"" + key + "\" is missing");
            }
            return dflt;
        }
        if (!n.isTextual()) {
            throw new UserError("config: \"" + key + "\" is not a string");
        }
        return n.asText();
    }

    /** Typed, range-checked reads of config fields; a wrong type is a one-line user error. */
    private record Args(JsonNode node, String where) {
        int intv(String key, int dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0 || n.asInt() > 1_000_000) {
                throw new UserError(where + ": \"" + key + "\" must be a whole number from 0 to 1000000, got " + StrictJson.oneLine(n.toString()));
            }
            return n.asInt();
        }

        double num(String key, double dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isNumber() || !Double.isFinite(n.asDouble()) || n.asDouble() < 0 || n.asDouble() > 1e6) {
                throw new UserError(where + ": \"" + key + "\" must be a non-negative number, got " + StrictJson.oneLine(n.toString()));
            }
            return n.asDouble();
        }

        boolean bool(String key, boolean dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isBoolean()) {
                throw new UserError(where + ": \"" + key + "\" must be true or false, got " + StrictJson.oneLine(n.toString()));
            }
            return n.asBoolean();
        }

        String text(String key, String dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isTextual()) {
                throw new UserError(where + ": \"" + key + "\" must be a string");
            }
            return n.asText();
        }

        /** {@code img_size} may be an int, or a list as in DINO v1 ({@code [224]}) and timm ({@code [h, w]}). */
        int imgSize(String key, int dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (n.isArray() && n.size() >= 1 && n.size() <= 2) {
                int v = checkedSize(n.get(0), key);
                if (n.size() == 2 && checkedSize(n.get(1), key) != v) {
                    throw new UserError(where + ": non-square \"" + key + "\" is not supported");
                }
                return v;
            }
            return checkedSize(n, key);
        }

        private int checkedSize(JsonNode n, String key) {
            if (!n.isIntegralNumber() || n.asInt() <= 0 || n.asInt() > 16384) {
                throw new UserError(where + ": \"" + key + "\" must be a positive integer image size, got " + StrictJson.oneLine(n.toString()));
            }
            return n.asInt();
        }

        int inputSize(int dflt) {
            JsonNode n = node.get("input_size");
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isArray() || n.size() != 3 || !n.get(2).isIntegralNumber() || n.get(2).asInt() <= 0) {
                throw new UserError(where + ": \"input_size\" must be [channels, height, width]");
            }
            return n.get(2).asInt();
        }
    }
}
