package dev.unmask.core.checkpoint;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face transformers names ({@code dinov2}, {@code dinov2_with_registers}, {@code vit},
 * {@code vit_mae}). Query, key and value are separate there and become slots 0, 1, 2 of the packed
 * {@code qkv} projection.
 */
public final class TransformersLayout implements CheckpointLayout {
    public static final TransformersLayout INSTANCE = new TransformersLayout();

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.(.+)$");

    private TransformersLayout() {}

    @Override
    public String name() {
        return "transformers";
    }

    @Override
    public Target toCanonical(String source) {
        String s = source;
        // Task heads wrap the backbone under a prefix (Dinov2ForImageClassification, ViTMAEForPreTraining).
        for (String prefix : new String[] {"dinov2.", "vit.", "model."}) {
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
                return Target.whole("norm.bias");
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
        String[] qkv = {"query", "key", "value"};
        for (int i = 0; i < 3; i++) {
            String p = "attention.attention." + qkv[i] + ".";
            if (rest.startsWith(p)) {
                String param = rest.substring(p.length());
                return param.equals("weight") || param.equals("bias")
                        ? new Target(b + "attn.qkv." + param, i, 3) : null;
            }
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
