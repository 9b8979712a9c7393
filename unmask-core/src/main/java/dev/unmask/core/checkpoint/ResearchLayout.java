package dev.unmask.core.checkpoint;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The original research code's names (DINOv2, DINO v1, MAE) and timm's, which are nearly the
 * same: only the register tokens ({@code reg_token} in timm), chunked DINOv2 blocks
 * ({@code blocks.C.N.}) and the parts of pretraining checkpoints the encoder does not use differ.
 */
public final class ResearchLayout implements CheckpointLayout {
    private static final Pattern CHUNKED = Pattern.compile("^blocks\\.\\d+\\.(\\d+)\\.(.*)$");
    private static final Pattern BLOCK = Pattern.compile(
            "^blocks\\.\\d+\\.(norm1|norm2)\\.(weight|bias)$|^blocks\\.\\d+\\.attn\\.(qkv|proj)\\.(weight|bias)$"
                    + "|^blocks\\.\\d+\\.(ls1|ls2)\\.gamma$|^blocks\\.\\d+\\.mlp\\.(fc1|fc2)\\.(weight|bias)$");

    private static final Pattern SPLIT_SWIGLU = Pattern.compile("^blocks\\.(\\d+)\\.mlp\\.w([12])\\.(weight|bias)$");

    private static final Pattern EVA = Pattern.compile("^blocks\\.(\\d+)\\.(attn\\.[qkv]_bias|gamma_1|gamma_2)$");

    private final String name;

    private ResearchLayout(String name) {
        this.name = name;
    }

    public static final ResearchLayout TIMM = new ResearchLayout("timm");
    public static final ResearchLayout ORIGINAL = new ResearchLayout("original");

    @Override
    public String name() {
        return name;
    }

    @Override
    public Target toCanonical(String source) {
        String s = source;
        Matcher chunk = CHUNKED.matcher(s);
        if (chunk.matches() && !BLOCK.matcher(s).matches()) {
            s = "blocks." + chunk.group(1) + "." + chunk.group(2);
        }
        // SwiGLU feed-forward: DINOv2 calls the packed input projection w12 and the output w3.
        s = s.replaceFirst("\\.mlp\\.w12\\.", ".mlp.fc1.").replaceFirst("\\.mlp\\.w3\\.", ".mlp.fc2.");
        // DINOv3's unpacked SwiGLU: w1 (gate) and w2 (up) are the halves of DINOv2's w12.
        Matcher split = SPLIT_SWIGLU.matcher(s);
        if (split.matches()) {
            return new Target("blocks." + split.group(1) + ".mlp.fc1." + split.group(3), split.group(2).equals("1") ? 0 : 1, 2);
        }
        // DINOv3's bias mask only ever zeroes the key third of the qkv bias, which the configuration's keyBias does.
        if (s.equals("mask_token") || s.startsWith("decoder_") || s.startsWith("decoder.") || s.matches("^blocks\\.\\d+\\.attn\\.qkv\\.bias_mask$")) {
            return IGNORED;
        }
        // timm's Eva (its DINOv3 port): separate q and v biases (no key bias), gamma_1/2 for LayerScale.
        Matcher eva = EVA.matcher(s);
        if (eva.matches()) {
            String b = "blocks." + eva.group(1) + ".";
            return switch (eva.group(2)) {
                case "attn.q_bias" -> new Target(b + "attn.qkv.bias", 0, 3);
                case "attn.k_bias" -> IGNORED;
                case "attn.v_bias" -> new Target(b + "attn.qkv.bias", 2, 3);
                case "gamma_1" -> Target.whole(b + "ls1.gamma");
                default -> Target.whole(b + "ls2.gamma");
            };
        }
        if (s.equals("reg_token") || s.equals("storage_tokens")) {
            return Target.whole("register_tokens");
        }
        if (s.equals("rope_embed.periods")) {
            return Target.whole("rope.periods");
        }
        if (s.equals("cls_token") || s.equals("pos_embed") || s.equals("register_tokens")
                || s.equals("patch_embed.proj.weight") || s.equals("patch_embed.proj.bias")
                || s.equals("norm.weight") || s.equals("norm.bias") || s.equals("norm_pre.weight") || s.equals("norm_pre.bias")
                || s.equals("head.weight") || s.equals("head.bias") || BLOCK.matcher(s).matches()) {
            return Target.whole(s);
        }
        return null;
    }

    @Override
    public String toSource(String canonical) {
        if (canonical.equals("register_tokens") && this == TIMM) {
            return "reg_token";
        }
        if (canonical.equals("rope.periods")) {
            return "rope_embed.periods";
        }
        return canonical;
    }
}
