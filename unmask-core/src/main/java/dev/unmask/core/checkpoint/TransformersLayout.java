package dev.unmask.core.checkpoint;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face transformers names ({@code dinov2}, {@code dinov2_with_registers}, {@code vit},
 * {@code vit_mae}, {@code clip_vision_model} and {@code clip}'s image tower, {@code dinov3_vit}).
 * Query, key and value are separate there and become slots 0, 1, 2 of the packed {@code qkv}
 * projection; a gated feed-forward's gate and up projections become halves 0 and 1 of {@code mlp.fc1}.
 */
public final class TransformersLayout implements CheckpointLayout {
    public static final TransformersLayout INSTANCE = new TransformersLayout(false);
    /** DINOv3 with {@code use_gated_mlp}: {@code mlp.{gate,up}_proj} are the two halves of fc1. */
    public static final TransformersLayout GATED_MLP = new TransformersLayout(true);

    private final boolean gatedMlp;

    private static final Pattern LAYER = Pattern.compile("^(?:encoder\\.layers?|layer)\\.(\\d+)\\.(.+)$");

    private TransformersLayout(boolean gatedMlp) {
        this.gatedMlp = gatedMlp;
    }

    @Override
    public String name() {
        return "transformers";
    }

    @Override
    public Target toCanonical(String source) {
        String s = source;
        // CLIPModel: only the image tower and its projection count.
        if (s.startsWith("text_model.") || s.equals("text_projection.weight") || s.equals("logit_scale") || s.endsWith(".position_ids")) {
            return IGNORED;
        }
        if (s.equals("visual_projection.weight")) {
            return Target.whole("proj.weight");
        }
        // Task heads wrap the backbone under a prefix (Dinov2ForImageClassification, ViTMAEForPreTraining).
        for (String prefix : new String[] {"dinov2.", "vit.", "model.", "vision_model."}) {
            if (s.startsWith(prefix)) {
                s = s.substring(prefix.length());
                break;
            }
        }
        if (s.startsWith("decoder.") || s.startsWith("pooler.") || s.startsWith("classifier.")
                || s.equals("embeddings.mask_token")) {
            return IGNORED;
        }
        switch (s) {
            case "embeddings.cls_token":
                return Target.whole("cls_token");
            case "embeddings.position_embeddings":
                return Target.whole("pos_embed");
            case "embeddings.register_tokens":
                return Target.whole("register_tokens");
            case "embeddings.patch_embeddings.projection.weight":
                return Target.whole("patch_embed.proj.weight");
            case "embeddings.patch_embeddings.projection.bias":
                return Target.whole("patch_embed.proj.bias");
            case "layernorm.weight":
                return Target.whole("norm.weight");
            case "layernorm.bias":
            case "norm.bias":
            case "post_layernorm.bias":
                return Target.whole("norm.bias");
            case "norm.weight":
            case "post_layernorm.weight":
                return Target.whole("norm.weight");
            case "pre_layrnorm.weight":
                return Target.whole("norm_pre.weight");
            case "pre_layrnorm.bias":
                return Target.whole("norm_pre.bias");
            case "embeddings.class_embedding":
                return Target.whole("cls_token");
            case "embeddings.position_embedding.weight":
                return Target.whole("pos_embed");
            case "embeddings.patch_embedding.weight":
            case "embeddings.patch_embeddings.weight":
                return Target.whole("patch_embed.proj.weight");
            case "embeddings.patch_embeddings.bias":
                return Target.whole("patch_embed.proj.bias");
            default:
                break;
        }
        Matcher m = LAYER.matcher(s);
        if (!m.matches()) {
            return null;
        }
        String b = "blocks." + m.group(1) + ".";
        String rest = m.group(2);
        String[][] whole = {
            {"norm1.", "norm1."}, {"layernorm_before.", "norm1."},
            {"norm2.", "norm2."}, {"layernorm_after.", "norm2."},
            {"attention.output.dense.", "attn.proj."},
            {"mlp.fc1.", "mlp.fc1."}, {"mlp.fc2.", "mlp.fc2."},
            {"mlp.weights_in.", "mlp.fc1."}, {"mlp.weights_out.", "mlp.fc2."},
            {"intermediate.dense.", "mlp.fc1."}, {"output.dense.", "mlp.fc2."},
            {"layer_norm1.", "norm1."}, {"layer_norm2.", "norm2."},
            {"self_attn.out_proj.", "attn.proj."}, {"attention.o_proj.", "attn.proj."},
            {"mlp.down_proj.", "mlp.fc2."},
        };
        for (String[] w : whole) {
            if (rest.startsWith(w[0])) {
                String param = rest.substring(w[0].length());
                return param.equals("weight") || param.equals("bias") ? Target.whole(b + w[1] + param) : null;
            }
        }
        if (rest.equals("layer_scale1.lambda1")) {
            return Target.whole(b + "ls1.gamma");
        }
        if (rest.equals("layer_scale2.lambda1")) {
            return Target.whole(b + "ls2.gamma");
        }
        String[][] qkv = {
            {"attention.attention.query.", "attention.attention.key.", "attention.attention.value."},
            {"self_attn.q_proj.", "self_attn.k_proj.", "self_attn.v_proj."},
            {"attention.q_proj.", "attention.k_proj.", "attention.v_proj."},
        };
        for (String[] names : qkv) {
            for (int i = 0; i < 3; i++) {
                if (rest.startsWith(names[i])) {
                    String param = rest.substring(names[i].length());
                    return param.equals("weight") || param.equals("bias")
                            ? new Target(b + "attn.qkv." + param, i, 3) : null;
                }
            }
        }
        // DINOv3's up_proj is the whole fc1 of a plain MLP; the gated one carries gate_proj too.
        if (rest.startsWith("mlp.gate_proj.") || rest.startsWith("mlp.up_proj.")) {
            String param = rest.substring(rest.indexOf("_proj.") + 6);
            if (!param.equals("weight") && !param.equals("bias")) {
                return null;
            }
            if (!gatedMlp) {
                return rest.startsWith("mlp.up_proj.") ? Target.whole(b + "mlp.fc1." + param) : null;
            }
            return rest.startsWith("mlp.gate_proj.") ? new Target(b + "mlp.fc1." + param, 0, 2) : new Target(b + "mlp.fc1." + param, 1, 2);
        }
        return null;
    }

    @Override
    public String toSource(String canonical) {
        Matcher m = Pattern.compile("^blocks\\.(\\d+)\\.(.+)$").matcher(canonical);
        if (!m.matches()) {
            return switch (canonical) {
                case "cls_token" -> "embeddings.cls_token";
                case "pos_embed" -> "embeddings.position_embeddings";
                case "register_tokens" -> "embeddings.register_tokens";
                case "patch_embed.proj.weight" -> "embeddings.patch_embeddings.projection.weight";
                case "patch_embed.proj.bias" -> "embeddings.patch_embeddings.projection.bias";
                case "norm.weight" -> "layernorm.weight";
                case "norm.bias" -> "layernorm.bias";
                default -> canonical;
            };
        }
        String l = "encoder.layer." + m.group(1) + ".";
        String rest = m.group(2);
        return l + rest.replace("attn.qkv.", "attention.attention.{query,key,value}.")
                .replace("attn.proj.", "attention.output.dense.")
                .replace("ls1.gamma", "layer_scale1.lambda1").replace("ls2.gamma", "layer_scale2.lambda1");
    }
}
