package dev.unmask.core.convnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.unmask.core.UserError;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * The parts of a timm Hub {@code config.json} that shape a ConvNet. timm builds the model as
 * {@code create_model(architecture, **model_args)} with {@code num_classes} defaulting to the
 * root value (which its Hub loader copies over {@code pretrained_cfg.num_classes}), so: root
 * {@code num_classes}, else {@code pretrained_cfg.num_classes}, else 1000; a {@code model_args}
 * value that contradicts the root is refused rather than silently preferred.
 *
 * <p>Every {@code model_args} key must be consumed by the family or explicitly ignored, so an
 * argument we do not implement (an activation override, a different pooling) is an error, not a
 * quietly different network.
 */
final class TimmConfig {
    final String architecture;
    final int numClasses;
    private final JsonNode modelArgs;
    private final JsonNode root;
    private final Set<String> consumed = new HashSet<>();

    TimmConfig(String architecture, JsonNode config) {
        if (config == null || !config.isObject()) {
            throw new UserError("config.json of " + architecture + " is not a JSON object");
        }
        this.architecture = architecture;
        this.root = config;
        JsonNode args = config.get("model_args");
        if (args != null && !args.isNull() && !args.isObject()) {
            throw new UserError("config.json: model_args is not an object");
        }
        this.modelArgs = args == null || args.isNull() ? JsonNodeFactory.instance.objectNode() : args;
        JsonNode pretrained = config.get("pretrained_cfg");
        Integer fromRoot = count(config.get("num_classes"), "num_classes");
        Integer fromArgs = count(modelArgs.get("num_classes"), "model_args.num_classes");
        Integer fromPretrained = pretrained == null ? null
                : count(pretrained.get("num_classes"), "pretrained_cfg.num_classes");
        consumed.add("num_classes");
        if (fromRoot != null && fromArgs != null && !fromRoot.equals(fromArgs)) {
            throw new UserError("config.json says num_classes " + fromRoot + " but model_args.num_classes "
                    + fromArgs + "; make them agree");
        }
        this.numClasses = fromRoot != null ? fromRoot : fromArgs != null ? fromArgs
                : fromPretrained != null ? fromPretrained : 1000;
        requireValue(config.get("global_pool"), "global_pool", "avg");
        requireValue(modelArgs.get("global_pool"), "model_args.global_pool", "avg");
        consumed.add("global_pool");
        JsonNode chans = modelArgs.get("in_chans");
        consumed.add("in_chans");
        if (chans != null && !(chans.isIntegralNumber() && chans.asInt() == 3)) {
            throw new UserError("config.json: model_args.in_chans " + chans + " is not supported (RGB only: 3)");
        }
        JsonNode size = pretrained == null ? null : pretrained.get("input_size");
        if (size != null && size.isArray() && size.size() == 3 && size.get(0).asInt() != 3) {
            throw new UserError("config.json: pretrained_cfg.input_size has " + size.get(0) + " channels (RGB only: 3)");
        }
        // Training-only: dropout and drop-path are identities in eval mode, BN momentum is unused.
        consumed.add("drop_rate");
        consumed.add("drop_path_rate");
        consumed.add("bn_momentum");
    }

    private static Integer count(JsonNode n, String key) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
            throw new UserError("config.json: " + key + " must be a whole number >= 0, not " + n);
        }
        return n.asInt();
    }

    private static void requireValue(JsonNode n, String key, String only) {
        if (n != null && !n.isNull() && !(n.isTextual() && n.asText().equals(only))) {
            throw new UserError("config.json: " + key + " " + n + " is not supported (only \"" + only + "\")");
        }
    }

    /** A positive number from model_args, or {@code fallback}. */
    double positive(String key, double fallback) {
        consumed.add(key);
        JsonNode n = modelArgs.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
            throw new UserError("config.json: model_args." + key + " must be a positive number, not " + n);
        }
        return n.asDouble();
    }

    /** One positive number per stage, from a number or a list in model_args, or {@code fallback}. */
    double[] perStage(String key, double[] fallback) {
        consumed.add(key);
        JsonNode n = modelArgs.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (n.isNumber()) {
            double[] all = new double[fallback.length];
            Arrays.fill(all, positive(key, 1.0));
            return all;
        }
        if (!n.isArray() || n.size() != fallback.length) {
            throw new UserError("config.json: model_args." + key + " must be a number or a list of "
                    + fallback.length + " numbers (one per stage), not " + n);
        }
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                throw new UserError("config.json: model_args." + key + "[" + i + "] must be a positive number, not " + v);
            }
            out[i] = v.asDouble();
        }
        return out;
    }

    String choice(String key, String fallback, String... allowed) {
        consumed.add(key);
        JsonNode n = modelArgs.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        for (String a : allowed) {
            if (n.isTextual() && n.asText().equals(a)) {
                return a;
            }
        }
        throw new UserError("config.json: model_args." + key + " " + n + " is not supported (one of "
                + String.join(", ", quoted(allowed)) + ")");
    }

    boolean flag(String key, boolean fallback) {
        consumed.add(key);
        JsonNode n = modelArgs.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new UserError("config.json: model_args." + key + " must be true or false, not " + n);
        }
        return n.asBoolean();
    }

    /** Refuses model_args that no one consumed: we would build a different network than timm. */
    void rejectUnknownArgs() {
        for (Iterator<String> it = modelArgs.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!consumed.contains(k)) {
                throw new UserError("config.json: model_args." + k + " is not supported for " + architecture);
            }
        }
    }

    /** The root {@code num_features} must agree with the network built, if the config states it. */
    void checkNumFeatures(int built) {
        JsonNode n = root.get("num_features");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asInt() == built)) {
            throw new UserError("config.json says num_features " + n + " but " + architecture
                    + " with these model_args has " + built);
        }
    }

    private static String[] quoted(String[] s) {
        String[] q = new String[s.length];
        for (int i = 0; i < s.length; i++) {
            q[i] = "\"" + s[i] + "\"";
        }
        return q;
    }
}
