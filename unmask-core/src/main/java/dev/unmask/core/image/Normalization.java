package dev.unmask.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;

/**
 * The input normalisation a checkpoint was trained with: {@code pretrained_cfg.mean/std} in timm's
 * config form, ImageNet's statistics otherwise (transformers configs do not carry them).
 */
public record Normalization(float[] mean, float[] std) {
    public static final Normalization IMAGENET = new Normalization(
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    public Normalization {
        mean = mean.clone();
        std = std.clone();
    }

    /** From a whole config.json: its {@code pretrained_cfg} if any, else ImageNet. */
    public static Normalization fromConfig(JsonNode config, String where) {
        JsonNode p = config.get("pretrained_cfg");
        if (p == null || p.isNull()) {
            return IMAGENET;
        }
        if (!p.isObject()) {
            throw new UserError(where + ": \"pretrained_cfg\" is not an object");
        }
        String at = where + " pretrained_cfg";
        float[] mean = three(p.get("mean"), "mean", at, IMAGENET.mean());
        float[] std = three(p.get("std"), "std", at, IMAGENET.std());
        for (float s : std) {
            if (!(s > 0)) {
                throw new UserError(at + ": \"std\" must be positive");
            }
        }
        return new Normalization(mean, std);
    }

    private static float[] three(JsonNode n, String key, String at, float[] dflt) {
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isArray() || n.size() != 3) {
            throw new UserError(at + ": \"" + key + "\" must be a list of 3 numbers, got " + StrictJson.oneLine(n.toString()));
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            if (!n.get(i).isNumber() || !Double.isFinite(n.get(i).asDouble())) {
                throw new UserError(at + ": \"" + key + "\" must be a list of 3 numbers");
            }
            out[i] = (float) n.get(i).asDouble();
        }
        return out;
    }
}
