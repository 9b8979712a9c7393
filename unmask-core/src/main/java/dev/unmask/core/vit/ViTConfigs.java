package dev.unmask.core.vit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.ResearchLayout;
import dev.unmask.core.checkpoint.TransformersLayout;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.image.Normalization;
import dev.unmask.core.vit.layers.Mlp;
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
        switch (type) {
            case "clip_vision_model":
                return clip(a, 0, where);
            case "clip": {
                JsonNode vision = c.get("vision_config");
                if (vision != null && !vision.isNull() && !vision.isObject()) {
                    throw new UserError(where + ": \"vision_config\" is not an object");
                }
                Args v = new Args(vision != null && vision.isObject() ? vision : StrictJson.mapper().createObjectNode(), where + " vision_config");
                // transformers' CLIPConfig default projection_dim is 512.
                return clip(v, a.intv("projection_dim", v.intv("projection_dim", 512)), where);
            }
            case "dinov3_vit":
                return dinov3Transformers(a, where);
            default:
                break;
        }
        // The remaining families use exact (erf) GELU; another activation would silently change every output.
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
                        + "\" (supported: dinov2, dinov2_with_registers, vit, vit_mae, clip_vision_model, clip, dinov3_vit)");
        }
    }

    /** OpenAI CLIP's image normalisation, for CLIP folders without a preprocessor_config.json. */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /**
     * CLIP's image tower (OpenAI's VisionTransformer): ln_pre on the embedded tokens, QuickGELU,
     * LayerNorm eps 1e-5, a patch embedding without bias, post-LN on every token as the final
     * norm. transformers' defaults (CLIPVisionConfig) are ViT-B/32 at 224.
     *
     * @param projection width of visual_projection (a whole CLIPModel), or 0
     */
    private static Spec clip(Args a, int projection, String where) {
        String act = a.text("hidden_act", "quick_gelu");
        Mlp.Activation activation = switch (act) {
            case "quick_gelu" -> Mlp.Activation.QUICK_GELU;
            case "gelu" -> Mlp.Activation.GELU;
            default -> throw new UserError(where + ": hidden_act \"" + StrictJson.oneLine(act) + "\" is not supported for CLIP (quick_gelu or gelu)");
        };
        int d = a.intv("hidden_size", 768);
        int img = a.intv("image_size", 224);
        ViTConfig cfg = ViTConfig.builder().family("clip").embedDim(d).depth(a.intv("num_hidden_layers", 12))
                .numHeads(a.intv("num_attention_heads", 12)).mlpHidden(a.intv("intermediate_size", 3072))
                .patchSize(a.intv("patch_size", 32)).inChans(a.intv("num_channels", 3)).positionsTrainedAt(img).imageSize(img)
                .normEps((float) a.num("layer_norm_eps", 1e-5)).activation(activation).preNorm(true).patchBias(false)
                .projectionDim(projection).resampling(PositionResampling.TIMM).normalization(CLIP_MEAN, CLIP_STD).build();
        return new Spec(cfg, TransformersLayout.INSTANCE);
    }

    /**
     * DINOv3 in transformers' form: RoPE instead of a position table (periods computed from
     * {@code rope_theta}), registers, layer scale, no key bias. The training-time coordinate
     * augmentations ({@code pos_embed_shift/jitter/rescale}) are off at inference and ignored.
     */
    private static Spec dinov3Transformers(Args a, String where) {
        ViTVariant v = ViTVariant.DINOV3_VITS16;
        boolean gated = a.bool("use_gated_mlp", false);
        String act = a.text("hidden_act", gated ? "silu" : "gelu");
        if (gated ? !act.equals("silu") : !act.equals("gelu")) {
            throw new UserError(where + ": hidden_act \"" + StrictJson.oneLine(act) + "\" is not supported for DINOv3"
                    + (gated ? " with use_gated_mlp (only \"silu\")" : " (only exact \"gelu\")"));
        }
        requireTrue(a, "proj_bias", where);
        requireTrue(a, "mlp_bias", where);
        if (a.bool("query_bias", true) != a.bool("value_bias", true)) {
            throw new UserError(where + ": query_bias and value_bias must agree");
        }
        int d = a.intv("hidden_size", v.width());
        int hidden = a.intv("intermediate_size", (int) (d * v.mlpRatio()));
        int img = a.intv("image_size", v.imageSize());
        double theta = a.num("rope_theta", 100.0);
        if (!(theta > 0)) {
            throw new UserError(where + ": \"rope_theta\" must be positive");
        }
        ViTConfig cfg = ViTConfig.builder().family("dinov3").embedDim(d).depth(a.intv("num_hidden_layers", v.depth()))
                .numHeads(a.intv("num_attention_heads", v.heads())).mlpHidden(gated ? 2 * hidden : hidden).swiglu(gated)
                .patchSize(a.intv("patch_size", v.patch())).inChans(a.intv("num_channels", 3)).positionsTrainedAt(img).imageSize(img)
                .numRegisters(a.intv("num_register_tokens", v.registers())).layerScale(true)
                .qkvBias(a.bool("query_bias", true)).keyBias(a.bool("key_bias", false))
                .normEps((float) a.num("layer_norm_eps", 1e-5)).rope((float) theta, false)
                .resampling(PositionResampling.TIMM).build();
        return new Spec(cfg, gated ? TransformersLayout.GATED_MLP : TransformersLayout.INSTANCE);
    }

    /**
     * DINOv3's research constructor ({@code dinov3/hub/backbones.py} entries merged with
     * {@code model_args}); the stored RoPE periods are used as they are (bfloat16-rounded).
     */
    private static ViTConfig.Builder dinov3Research(ViTConfig.Builder b, Args a, ViTVariant hub, int d, String where) {
        String ffn = a.text("ffn_layer", "mlp");
        boolean swiglu = ffn.startsWith("swiglu");
        int hidden = (int) (d * a.num("ffn_ratio", hub.mlpRatio()));
        if (swiglu) {
            int align = switch (ffn) {
                case "swiglu" -> 8;
                case "swiglu32" -> 32;
                case "swiglu64" -> 64;
                case "swiglu128" -> 128;
                default -> throw new UserError(where + ": unsupported ffn_layer \"" + StrictJson.oneLine(ffn) + "\"");
            };
            int h = (int) (hidden * 2.0 / 3.0);
            hidden = 2 * ((h + align - 1) / align * align);
        } else if (!ffn.equals("mlp")) {
            throw new UserError(where + ": unsupported ffn_layer \"" + StrictJson.oneLine(ffn) + "\"");
        }
        requireTrue(a, "proj_bias", where);
        requireTrue(a, "ffn_bias", where);
        String norm = a.text("norm_layer", "layernormbf16");
        float eps = switch (norm) {
            case "layernormbf16" -> 1e-5f;
            case "layernorm" -> 1e-6f;
            default -> throw new UserError(where + ": unsupported norm_layer \"" + StrictJson.oneLine(norm) + "\"");
        };
        if (!a.text("pos_embed_rope_normalize_coords", "separate").equals("separate")) {
            throw new UserError(where + ": only pos_embed_rope_normalize_coords \"separate\" is supported");
        }
        if (!a.text("pos_embed_rope_dtype", "fp32").equals("fp32")) {
            throw new UserError(where + ": only pos_embed_rope_dtype \"fp32\" is supported");
        }
        for (String key : new String[] {"untie_cls_and_patch_norms", "untie_global_and_local_cls_norm"}) {
            if (a.bool(key, false)) {
                throw new UserError(where + ": " + key + "=true is not supported");
            }
        }
        double init = a.num("layerscale_init", 1e-5);
        return b.family("dinov3").mlpHidden(hidden).swiglu(swiglu).numRegisters(a.intv("n_storage_tokens", hub.registers()))
                .layerScale(init != 0).keyBias(!a.bool("mask_k_bias", true)).normEps(eps)
                .rope((float) a.num("pos_embed_rope_base", 100.0), true).resampling(PositionResampling.TIMM);
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
                case DINOV3 -> dinov3Research(b, a, hub, d, where).imageSize(cfgInput > 0 ? cfgInput : img);
                default -> throw new IllegalStateException(hub + " has a hub name but no hub reader");
            }
            return new Spec(b.build(), ResearchLayout.ORIGINAL);
        }
        Matcher m;
        if ((m = TIMM_VIT.matcher(arch)).matches()) {
            String suffix = m.group(3) == null ? "" : m.group(3);
            if (suffix.equals("_dinov3") || suffix.equals("_dinov3_qkvb")) {
                return timmDinov3(arch, m, a, numClasses, mean, std, cfgInput, suffix.endsWith("_qkvb"), where);
            }
            return timm(arch, m, a, numClasses, mean, std, cfgInput, where);
        }
        throw new UserError(where + ": unsupported architecture \"" + StrictJson.oneLine(arch) + "\"");
    }

    /**
     * timm's DINOv3 port (its Eva model, {@code vit_*_patch16_dinov3[_qkvb]}): the shape of the
     * DINOv3 row of its size, RoPE with periods computed in float32 from {@code rope_temperature},
     * q and v biases only where the name or {@code qkv_bias} asks for them, never a key bias.
     */
    private static Spec timmDinov3(String arch, Matcher m, Args a, int numClasses, float[] mean, float[] std, int cfgInput, boolean qkvb,
            String where) {
        ViTVariant row = switch (m.group(1)) {
            case "small" -> ViTVariant.DINOV3_VITS16;
            case "base" -> ViTVariant.DINOV3_VITB16;
            case "large" -> ViTVariant.DINOV3_VITL16;
            default -> throw new UserError(where + ": unsupported architecture \"" + StrictJson.oneLine(arch)
                    + "\" (of timm's DINOv3 models only small, base and large are supported)");
        };
        if (a.bool("swiglu_mlp", false) || a.bool("use_fc_norm", false) || a.bool("use_abs_pos_emb", false) || !a.bool("use_rot_pos_emb", true)) {
            throw new UserError(where + ": " + arch + " with swiglu_mlp, use_fc_norm, use_abs_pos_emb or without use_rot_pos_emb is not supported");
        }
        if (!a.text("rope_type", "dinov3").equals("dinov3") || !a.bool("rope_rotate_half", true)) {
            throw new UserError(where + ": only rope_type \"dinov3\" with rope_rotate_half is supported");
        }
        int d = a.intv("embed_dim", row.width());
        int img = a.imgSize("img_size", row.imageSize());
        double init = a.num("init_values", 1e-5);
        ViTConfig cfg = ViTConfig.builder().family("dinov3").embedDim(d).depth(a.intv("depth", row.depth())).numHeads(a.intv("num_heads", row.heads()))
                .mlpHidden((int) (d * a.num("mlp_ratio", row.mlpRatio()))).patchSize(a.intv("patch_size", row.patch())).inChans(a.intv("in_chans", 3))
                .positionsTrainedAt(img).numRegisters(a.intv("num_reg_tokens", row.registers())).layerScale(init != 0)
                .qkvBias(a.bool("qkv_bias", qkvb)).keyBias(false).normEps(1e-5f).rope((float) a.num("rope_temperature", 100.0), false)
                .resampling(PositionResampling.TIMM).numClasses(numClasses).imageSize(cfgInput > 0 ? cfgInput : img).normalization(mean, std).build();
        return new Spec(cfg, ResearchLayout.TIMM);
    }

    /**
     * A timm name in the variants table takes its row; another one (e.g. {@code vit_base_patch16_384})
     * takes the shape of the table's supervised row of its size, and patch and input size from its name.
     */
    private static Spec timm(String arch, Matcher m, Args a, int numClasses, float[] mean, float[] std, int cfgInput, String where) {
        String suffix = m.group(3) == null ? "" : m.group(3);
        if (suffix.contains("siglip") || suffix.contains("eva") || suffix.contains("dinov3")) {
            throw new UserError(where + ": unsupported architecture \"" + arch + "\" (timm's SigLIP, EVA and other DINOv3 towers are not supported)");
        }
        // timm's CLIP image towers (vit_*_clip_*): pre-norm, nn.LayerNorm's eps 1e-5, QuickGELU
        // only for the *_clip_quickgelu_* names (OpenAI's weights).
        boolean clip = suffix.startsWith("_clip");
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
        boolean preNorm = a.bool("pre_norm", clip);
        String act = a.text("act_layer", suffix.contains("quickgelu") ? "quick_gelu" : "gelu");
        Mlp.Activation activation = switch (act) {
            case "quick_gelu" -> Mlp.Activation.QUICK_GELU;
            case "gelu" -> Mlp.Activation.GELU;
            default -> throw new UserError(where + ": act_layer \"" + StrictJson.oneLine(act) + "\" is not supported (gelu or quick_gelu)");
        };
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
                .normalization(mean, std).preNorm(preNorm).patchBias(!preNorm).activation(activation).normEps(clip ? 1e-5f : 1e-6f).build();
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
