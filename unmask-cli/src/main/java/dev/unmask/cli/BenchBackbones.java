package dev.unmask.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTConfigs;
import dev.unmask.core.vit.ViTVariant;
import java.util.List;
import java.util.Map;

/**
 * The backbones {@code unmask bench} builds with random weights of their real sizes, named as
 * {@code unmask pull} and {@code train --backbone} name them (the backbone registry).
 */
final class BenchBackbones {
    /** For help texts (an annotation needs a constant). */
    static final String NAMES = "dinov2_vits14, dinov2_vitb14, dinov2_vitl14, clip_vitl14, efficientnet_b0, efficientnet_b4, xception";

    static final List<String> ALL = List.of("dinov2_vits14", "dinov2_vitb14", "dinov2_vitl14", "clip_vitl14", "efficientnet_b0",
            "efficientnet_b4", "xception");

    /** bench's own names from before it used the registry's; scripts may still pass them. */
    static final Map<String, String> OLD_NAMES = Map.of(
            "vits14", "dinov2_vits14", "vitb14", "dinov2_vitb14", "effb0", "efficientnet_b0", "effb4", "efficientnet_b4");

    /** The timm architecture of each ConvNet. */
    static final Map<String, String> CONVNETS = Map.of(
            "efficientnet_b0", "efficientnet_b0", "efficientnet_b4", "efficientnet_b4", "xception", "legacy_xception");

    private BenchBackbones() {}

    /** A backbone and the input side to measure it at. */
    record Choice(String name, int side) {
        boolean vit() {
            return !CONVNETS.containsKey(name);
        }

        ViTConfig vitConfig() {
            return switch (name) {
                case "dinov2_vits14" -> BuiltinModels.vitSmall14();
                case "dinov2_vitb14" -> BuiltinModels.vitBase14();
                case "dinov2_vitl14" -> ViTConfigs.of(ViTVariant.VIT_LARGE_PATCH14_DINOV2);
                // OpenAI's CLIP ViT-L/14 image tower as transformers configures it (pre-norm, QuickGELU, no patch bias).
                case "clip_vitl14" -> ViTConfigs.parse(StrictJson.mapper().createObjectNode().put("model_type", "clip_vision_model")
                        .put("hidden_size", 1024).put("num_hidden_layers", 24).put("num_attention_heads", 16)
                        .put("intermediate_size", 4096).put("patch_size", 14).put("image_size", 224), name).config();
                default -> throw new IllegalStateException("not a ViT: " + name);
            };
        }
    }

    /** {@code NAME} or {@code NAME@SIDE}; {@code defaultSide} when no side is given. */
    static Choice parse(String arg, int defaultSide) {
        String[] parts = arg.split("@", 2);
        String name = OLD_NAMES.getOrDefault(parts[0], parts[0]);
        if (!ALL.contains(name)) {
            throw new UserError("unknown bench backbone \"" + arg + "\" (known: " + NAMES + "; add @SIDE for another input side)");
        }
        int side = defaultSide;
        if (parts.length == 2) {
            try {
                side = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new UserError("bad input side in \"" + arg + "\"");
            }
        }
        return new Choice(name, side);
    }

    /** The timm config of a ConvNet: its architecture with ImageNet's 1000-class classifier, as the Hub checkpoints have. */
    static ObjectNode convNetConfig(String name) {
        return StrictJson.mapper().createObjectNode().put("architecture", CONVNETS.get(name)).put("num_classes", 1000);
    }
}
