package dev.unmask.core.vit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.ResearchLayout;
import dev.unmask.core.checkpoint.TransformersLayout;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.image.Normalization;
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

    private static final Pattern TIMM_VIT = Pattern.compile("^vit_([a-z]+)_patch(\\d+)(_.*)?$");

    private ViTConfigs() {}

    /** True when the config names a ViT we can build (otherwise it may be a ConvNet). */
    public static boolean isViT(JsonNode config) {
        if (config.has("model_type")) {
            return true;
        }
        String a = text(config, "architecture", "");
        return ViTVariant.byHubName(a).isPresent() || TIMM_VIT.matcher(a).matches();
    }

    /**
     * The configuration a variant's checkpoint declares by its name alone (the research repo's
     * name where it has one, else timm's), e.g. for the built-in models with random weights.
     */
    public static ViTConfig of(ViTVariant variant) {
        String name = variant.hubName() != null ? variant.hubName() : variant.timmName();
        return parse(StrictJson.mapper().createObjectNode().put("architecture", name), name).config();
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
                // transformers' defaults are ViT-B/14 at 518 px, the table's DINOv2 base row.
                ViTVariant v = reg ? ViTVariant.VIT_BASE_PATCH14_REG4_DINOV2 : ViTVariant.VIT_BASE_PATCH14_DINOV2;
                int d = a.intv("hidden_size", v.width());
                double ratio = a.num("mlp_ratio", v.mlpRatio());
                boolean swiglu = a.bool("use_swiglu_ffn", v.swiglu());
                ViTConfig cfg = ViTConfig.builder().family("dinov2").embedDim(d).depth(a.intv("num_hidden_layers", v.depth()))
                        .numHeads(a.intv("num_attention_heads", v.heads())).mlpHidden(mlpHidden(d, ratio, swiglu)).swiglu(swiglu)
                        .patchSize(a.intv("patch_size", v.patch())).inChans(a.intv("num_channels", 3))
                        .positionsTrainedAt(a.intv("image_size", v.imageSize()))
                        .numRegisters(reg ? a.intv("num_register_tokens", v.registers()) : 0).layerScale(v.family().layerScale())
                        .qkvBias(a.bool("qkv_bias", true)).normEps((float) a.num("layer_norm_eps", 1e-6))
                        .resampling(reg ? PositionResampling.DINOV2_REGISTERS : PositionResampling.DINOV2)
                        .build();
                return new Spec(cfg, TransformersLayout.INSTANCE);
            }
            case "vit":
            case "vit_mae": {
                boolean mae = type.equals("vit_mae");
                ViTVariant v = ViTVariant.VIT_BASE_PATCH16_224;
                int d = a.intv("hidden_size", v.width());
                int img = a.intv("image_size", v.imageSize());
                // The research code of both uses LayerNorm eps 1e-6; the Hub configs say 1e-12.
                ViTConfig cfg = ViTConfig.builder().family(mae ? "mae" : "dino_v1").embedDim(d).depth(a.intv("num_hidden_layers", v.depth()))
                        .numHeads(a.intv("num_attention_heads", v.heads())).mlpHidden(a.intv("intermediate_size", (int) (v.mlpRatio() * d)))
                        .patchSize(a.intv("patch_size", v.patch())).inChans(a.intv("num_channels", 3)).positionsTrainedAt(img)
                        .qkvBias(a.bool("qkv_bias", true)).resampling(mae ? PositionResampling.TIMM : PositionResampling.DINO_V1)
                        .imageSize(img).build();
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

        ViTVariant hub = ViTVariant.byHubName(arch).orElse(null);
        if (hub != null) {
            int d = a.intv("embed_dim", hub.width());
            int patch = a.intv("patch_size", hub.patch());
            int img = a.imgSize("img_size", hub.imageSize());
            ViTConfig.Builder b = ViTConfig.builder().embedDim(d).depth(a.intv("depth", hub.depth())).numHeads(a.intv("num_heads", hub.heads()))
                    .patchSize(patch).inChans(a.intv("in_chans", 3)).positionsTrainedAt(img).qkvBias(a.bool("qkv_bias", true))
                    .normalization(mean, std);
            switch (hub.family()) {
                case DINOV2 -> {
                    boolean reg = hub.registers() > 0;
                    String ffn = a.text("ffn_layer", hub.swiglu() ? "swiglufused" : "mlp");
                    boolean swiglu = ffn.startsWith("swiglu");
                    if (!swiglu && !ffn.equals("mlp")) {
                        throw new UserError(where + ": unsupported ffn_layer \"" + ffn + "\"");
                    }
                    requireTrue(a, "proj_bias", where);
                    requireTrue(a, "ffn_bias", where);
                    double initValues = a.num("init_values", 1.0);
                    b.family("dinov2").mlpHidden(mlpHidden(d, a.num("mlp_ratio", hub.mlpRatio()), swiglu)).swiglu(swiglu)
                            .numRegisters(a.intv("num_register_tokens", hub.registers())).layerScale(initValues != 0)
                            .resampling(new PositionResampling(a.num("interpolate_offset", reg ? 0.0 : 0.1), a.bool("interpolate_antialias", reg)))
                            .imageSize(cfgInput > 0 ? cfgInput : 224);
                }
                case DINO_V1 -> b.family("dino_v1").mlpHidden((int) (d * a.num("mlp_ratio", hub.mlpRatio())))
                        .resampling(PositionResampling.DINO_V1).numClasses(numClasses).imageSize(cfgInput > 0 ? cfgInput : img);
                case MAE -> b.family("mae").mlpHidden((int) (d * a.num("mlp_ratio", hub.mlpRatio())))
                        .resampling(PositionResampling.TIMM).imageSize(cfgInput > 0 ? cfgInput : img);
                default -> throw new IllegalStateException(hub + " has a hub name but no hub reader");
            }
            return new Spec(b.build(), ResearchLayout.ORIGINAL);
        }
        Matcher m;
        if ((m = TIMM_VIT.matcher(arch)).matches()) {
            return timm(arch, m, a, numClasses, mean, std, cfgInput, where);
        }
        throw new UserError(where + ": unsupported architecture \"" + StrictJson.oneLine(arch) + "\"");
    }

    /**
     * A timm name in the variants table takes its row; another one (e.g. {@code vit_base_patch16_384})
     * takes the shape of the table's supervised row of its size, and patch and input size from its name.
     */
    private static Spec timm(String arch, Matcher m, Args a, int numClasses, float[] mean, float[] std, int cfgInput, String where) {
        String suffix = m.group(3) == null ? "" : m.group(3);
        if (suffix.contains("clip") || suffix.contains("siglip") || suffix.contains("eva")) {
            throw new UserError(where + ": unsupported architecture \"" + arch + "\" (CLIP-style towers are not supported yet)");
        }
        ViTVariant row = ViTVariant.byTimmName(arch).orElse(null);
        int namePatch = Integer.parseInt(m.group(2));
        int nameImg;
        if (row != null) {
            nameImg = row.imageSize();
        } else {
            row = suffix.contains("dinov2") || suffix.contains("_reg") ? null : ViTVariant.supervisedOfSize(m.group(1)).orElse(null);
            if (row == null) {
                throw new UserError(where + ": unsupported architecture \"" + arch + "\" (not among the known ViT variants"
                        + (m.group(1).equals("giant") ? "; of the giant ViTs only the DINOv2 ones are supported" : "") + ")");
            }
            Matcher sz = Pattern.compile("_(\\d{3})(_|$)").matcher(suffix);
            nameImg = sz.find() ? Integer.parseInt(sz.group(1)) : 224;
        }
        boolean dinov2 = row.family() == ViTVariant.Family.DINOV2;
        int d = a.intv("embed_dim", row.width());
        int patch = a.intv("patch_size", namePatch);
        int img = a.imgSize("img_size", cfgInput > 0 && !dinov2 ? cfgInput : nameImg);
        // timm packs SwiGLU's two projections into one at mlp_ratio 2.66667 × 2.
        double ratio = a.num("mlp_ratio", row.swiglu() ? 2.66667 * 2 : row.mlpRatio());
        int regs = a.intv("reg_tokens", row.registers());
        boolean noEmbedClass = a.bool("no_embed_class", row.registers() > 0);
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
        double initValues = a.num("init_values", row.family().layerScale() ? 1e-5 : 0.0);
        ViTConfig cfg = ViTConfig.builder().family("timm").embedDim(d).depth(a.intv("depth", row.depth())).numHeads(a.intv("num_heads", row.heads()))
                .mlpHidden((int) (d * ratio)).swiglu(row.swiglu()).patchSize(patch).inChans(a.intv("in_chans", 3)).positionsTrainedAt(img)
                .posPrefix(noEmbedClass ? 0 : 1 + regs).numRegisters(regs).layerScale(initValues != 0).qkvBias(a.bool("qkv_bias", true))
                .resampling(PositionResampling.TIMM).numClasses(numClasses).imageSize(cfgInput > 0 ? cfgInput : Math.min(img, 224))
                .normalization(mean, std).build();
        return new Spec(cfg, ResearchLayout.TIMM);
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
