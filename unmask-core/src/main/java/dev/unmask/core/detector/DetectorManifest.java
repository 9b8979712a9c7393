package dev.unmask.core.detector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.io.StrictJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A detector file's manifest, typed and checked whole on load: every field of its schema version
 * has its type and range, and a field that version does not have is refused, so that a flipped
 * byte in a setting's name ({@code half_cachm}) or in a {@code changed_tensors} entry cannot pass
 * unnoticed. Files written before {@code schema_version} existed are version 1.
 *
 * <p>Informational parts (the training log, validation metrics, provenance) are kept as JSON,
 * checked for their fields and types; the crop contract is kept as JSON for {@code CropRecipe},
 * which checks its content.
 *
 * @param settings    training settings (empty for files that have none)
 * @param validation  validation metrics, or null
 * @param provenance  where the detector came from, or null
 * @param cropContract how the training faces were cropped, or null
 * @param note        free text (the benchmark detector's), or null
 */
public record DetectorManifest(int schemaVersion, String approach, Map<String, JsonNode> settings, HeadPart head, BackbonePart backbone,
                               Preprocessing preprocessing, double threshold, String thresholdRule, JsonNode validation,
                               JsonNode trainingLog, JsonNode provenance, JsonNode cropContract, String note) {
    public static final int SCHEMA_VERSION = 1;
    static final Set<String> APPROACHES = Set.of("probe", "finetune", "lntune");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern PARAMETER = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+){0,7}");
    private static final int MAX_IMAGE_SIZE = 4096;

    /** The head the manifest declares (checked against the backbone on load). */
    public record HeadPart(String features, String kind, int blocks, int tokens, int dim, int mlpHidden, double mlpDropout) {}

    /**
     * The backbone reference.
     *
     * @param kind           vit or convnet (files from before ConvNets have none: vit)
     * @param changedTensors the backbone parameters the file replaces, each exactly once
     */
    public record BackbonePart(String kind, String name, String path, String sha256, List<String> changedTensors) {
        public BackbonePart {
            changedTensors = List.copyOf(changedTensors);
        }
    }

    public DetectorManifest {
        settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    private enum Type { STRING, INT, NUMBER, BOOLEAN, STRINGS, OBJECT, ANY }

    private static final Map<String, Type> TOP = fields(
            "schema_version", Type.INT, "format", Type.STRING, "version", Type.INT, "approach", Type.STRING, "settings", Type.OBJECT,
            "head", Type.OBJECT, "backbone", Type.OBJECT, "preprocessing", Type.OBJECT, "threshold", Type.NUMBER,
            "threshold_rule", Type.STRING, "validation", Type.OBJECT, "training_log", Type.ANY, "provenance", Type.OBJECT,
            "crop_contract", Type.OBJECT, "note", Type.STRING);
    private static final Set<String> TOP_REQUIRED = Set.of("format", "version", "approach", "head", "backbone", "preprocessing", "threshold");
    /** What {@code TrainSettings.toJson} writes, and what ConvNet training adds. */
    private static final Map<String, Type> SETTINGS = fields(
            "approach", Type.STRING, "features", Type.STRING, "head", Type.STRING, "mlp_hidden", Type.INT, "mlp_dropout", Type.NUMBER,
            "blocks", Type.INT, "prefix_cache", Type.BOOLEAN, "half_cache", Type.BOOLEAN, "image_size", Type.INT, "epochs", Type.INT,
            "batch_size", Type.INT, "optimizer", Type.STRING, "learning_rate", Type.NUMBER, "weight_decay", Type.NUMBER,
            "betas", Type.STRING, "eps", Type.NUMBER, "patience", Type.INT, "seed", Type.INT, "trains_tokens", Type.BOOLEAN,
            "augmentation", Type.STRING, "trained_units", Type.STRINGS, "batchnorm", Type.STRING);
    private static final Map<String, Type> HEAD = fields(
            "features", Type.STRING, "kind", Type.STRING, "blocks", Type.INT, "tokens", Type.INT, "dim", Type.INT,
            "mlp_hidden", Type.INT, "mlp_dropout", Type.NUMBER);
    private static final Map<String, Type> BACKBONE = fields(
            "kind", Type.STRING, "name", Type.STRING, "path", Type.STRING, "sha256", Type.STRING, "changed_tensors", Type.STRINGS);
    private static final Map<String, Type> PREPROCESSING = fields("size", Type.INT, "resize", Type.STRING, "mean", Type.ANY, "std", Type.ANY);
    private static final Map<String, Type> VALIDATION = fields(
            "best_epoch", Type.INT, "epochs_run", Type.INT, "n", Type.INT, "auc", Type.NUMBER, "ap", Type.NUMBER, "eer", Type.NUMBER,
            "acc_at_threshold", Type.NUMBER, "hter_at_threshold", Type.NUMBER);
    private static final Map<String, Type> PROVENANCE = fields(
            "train", Type.OBJECT, "val", Type.OBJECT, "seed", Type.INT, "unmask_version", Type.STRING, "djl_version", Type.STRING,
            "engine", Type.STRING, "java", Type.STRING, "os", Type.STRING, "date", Type.STRING, "command_line", Type.STRING,
            "libtorch_threads", Type.INT, "calibration", Type.OBJECT, "source", Type.OBJECT);
    private static final Map<String, Type> PROVENANCE_LIST = fields(
            "path", Type.STRING, "sha256", Type.STRING, "items", Type.INT, "used", Type.INT, "fake", Type.INT, "skipped", Type.INT);

    private static Map<String, Type> fields(Object... kv) {
        Map<String, Type> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Type) kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Reads and checks a manifest; {@code where} names it in errors ("FILE: manifest").
     *
     * @throws UserError one line naming the first field that is missing, unknown or malformed
     */
    public static DetectorManifest parse(JsonNode m, String where) {
        if (m == null || !m.isObject()) {
            throw new UserError(where + " must be a JSON object");
        }
        int schema = m.has("schema_version") ? intIn(m, "schema_version", where, 1, Integer.MAX_VALUE) : 1;
        if (schema != SCHEMA_VERSION) {
            throw new UserError(where + ": schema_version " + schema + " is not one this Unmask reads (" + SCHEMA_VERSION
                    + "); a newer Unmask wrote it");
        }
        if (!Detector.FORMAT.equals(m.path("format").isTextual() ? m.path("format").asText() : null)
                || !m.path("version").isIntegralNumber() || m.path("version").asLong() != Detector.VERSION) {
            throw new UserError(where + ": unsupported detector format " + StrictJson.oneLine(m.path("format").asText())
                    + " version " + StrictJson.oneLine(m.path("version").asText()) + " (this Unmask reads " + Detector.FORMAT + " "
                    + Detector.VERSION + ")");
        }
        check(m, TOP, TOP_REQUIRED, where);
        String approach = m.get("approach").asText();
        if (!APPROACHES.contains(approach)) {
            throw new UserError(where + ": \"approach\" must be one of " + new java.util.TreeSet<>(APPROACHES) + ", got \""
                    + StrictJson.oneLine(approach) + "\"");
        }
        Map<String, JsonNode> settings = new LinkedHashMap<>();
        if (m.has("settings")) {
            JsonNode s = m.get("settings");
            check(s, SETTINGS, Set.of(), where + ".settings");
            s.fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue()));
        }

        JsonNode h = m.get("head");
        String hw = where + ".head";
        check(h, HEAD, HEAD.keySet(), hw);
        double dropout = h.get("mlp_dropout").asDouble();
        if (!(dropout >= 0 && dropout < 1)) {
            throw new UserError(hw + ": \"mlp_dropout\" must lie in [0, 1), got " + dropout);
        }
        HeadPart head = new HeadPart(h.get("features").asText(), h.get("kind").asText(), intIn(h, "blocks", hw, 1, 1 << 16),
                intIn(h, "tokens", hw, 1, 1 << 20), intIn(h, "dim", hw, 1, 1 << 16), intIn(h, "mlp_hidden", hw, 0, 1 << 16), dropout);

        JsonNode b = m.get("backbone");
        String bw = where + ".backbone";
        check(b, BACKBONE, Set.of("name", "path", "sha256", "changed_tensors"), bw);
        String kind = b.has("kind") ? b.get("kind").asText() : "vit";
        if (!kind.equals("vit") && !kind.equals("convnet")) {
            throw new UserError(bw + ": \"kind\" must be vit or convnet, got \"" + StrictJson.oneLine(kind) + "\"");
        }
        String sha = b.get("sha256").asText();
        if (!SHA256.matcher(sha).matches()) {
            throw new UserError(bw + ": \"sha256\" must be 64 lowercase hex digits, got \"" + StrictJson.oneLine(sha) + "\"");
        }
        List<String> changed = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode t : b.get("changed_tensors")) {
            String name = t.asText();
            if (!PARAMETER.matcher(name).matches()) {
                throw new UserError(bw + ": \"changed_tensors\" holds \"" + StrictJson.oneLine(name) + "\", not a parameter name");
            }
            if (!seen.add(name)) {
                throw new UserError(bw + ": \"changed_tensors\" lists " + name + " twice");
            }
            changed.add(name);
        }
        BackbonePart backbone = new BackbonePart(kind, b.get("name").asText(), b.get("path").asText(), sha, changed);

        JsonNode p = m.get("preprocessing");
        String pw = where + ".preprocessing";
        check(p, PREPROCESSING, PREPROCESSING.keySet(), pw);
        int size = intIn(p, "size", pw, 1, MAX_IMAGE_SIZE);
        String resize = p.get("resize").asText();
        if (!Preprocessing.JAVA2D_BICUBIC.equals(resize)) {
            throw new UserError(where + ": unknown resize kernel " + StrictJson.oneLine(resize));
        }
        float[] mean = floats3(p, "mean", pw, false);
        float[] std = floats3(p, "std", pw, true);

        double threshold = m.get("threshold").asDouble();
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new UserError(where + ": threshold must be a number in [0, 1]");
        }
        if (m.has("validation")) {
            check(m.get("validation"), VALIDATION, Set.of(), where + ".validation");
        }
        TrainingLog.of(m, where);
        if (m.has("provenance")) {
            JsonNode pr = m.get("provenance");
            check(pr, PROVENANCE, Set.of(), where + ".provenance");
            for (String list : new String[] {"train", "val"}) {
                if (pr.has(list)) {
                    check(pr.get(list), PROVENANCE_LIST, Set.of(), where + ".provenance." + list);
                }
            }
        }
        return new DetectorManifest(schema, approach, settings, head, backbone, new Preprocessing(size, mean, std, resize), threshold,
                m.has("threshold_rule") ? m.get("threshold_rule").asText() : null, m.get("validation"), m.get("training_log"),
                m.get("provenance"), m.get("crop_contract"), m.has("note") ? m.get("note").asText() : null);
    }

    /** Every field of {@code n} is one {@code allowed} names, of its type; every {@code required} one is there. */
    private static void check(JsonNode n, Map<String, Type> allowed, Set<String> required, String where) {
        if (n == null || !n.isObject()) {
            throw new UserError(where + " must be an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Type t = allowed.get(e.getKey());
            if (t == null) {
                throw new UserError(where + ": unknown field \"" + StrictJson.oneLine(e.getKey()) + "\" (detector manifest schema "
                        + SCHEMA_VERSION + " has " + String.join(", ", allowed.keySet()) + ")");
            }
            JsonNode v = e.getValue();
            boolean ok = switch (t) {
                case STRING -> v.isTextual();
                case INT -> v.isIntegralNumber() && v.canConvertToLong();
                // Jackson writes a NaN metric as the string "NaN".
                case NUMBER -> v.isNumber() && Double.isFinite(v.asDouble()) || v.isTextual() && v.asText().equals("NaN");
                case BOOLEAN -> v.isBoolean();
                case STRINGS -> v.isArray() && allText(v);
                case OBJECT -> v.isObject();
                case ANY -> true;
            };
            if (!ok) {
                throw new UserError(where + ": \"" + e.getKey() + "\" must be " + switch (t) {
                    case STRING -> "a string";
                    case INT -> "a whole number";
                    case NUMBER -> "a finite number";
                    case BOOLEAN -> "true or false";
                    case STRINGS -> "an array of strings";
                    case OBJECT -> "an object";
                    case ANY -> "present";
                });
            }
        }
        for (String r : required) {
            if (!n.has(r)) {
                throw new UserError(where + ": \"" + r + "\" is missing");
            }
        }
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode x : array) {
            if (!x.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static int intIn(JsonNode n, String key, String where, int lo, int hi) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < lo || v.asLong() > hi) {
            throw new UserError(where + ": \"" + key + "\" must be a whole number from " + lo + " to " + hi + ", got "
                    + (v == null ? "nothing" : StrictJson.oneLine(v.toString())));
        }
        return (int) v.asLong();
    }

    private static float[] floats3(JsonNode n, String key, String where, boolean positive) {
        JsonNode v = n.get(key);
        String need = positive ? "3 positive numbers" : "3 finite numbers";
        if (v == null || !v.isArray() || v.size() != 3) {
            throw new UserError(where + ": \"" + key + "\" must be " + need);
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            double d = v.get(i).asDouble();
            float f = (float) d;
            if (!v.get(i).isNumber() || !Float.isFinite(f) || positive && !(f > 0) || positive && !Float.isFinite(1 / f)) {
                throw new UserError(where + ": \"" + key + "\" must be " + need + ", got " + StrictJson.oneLine(v.toString()));
            }
            out[i] = f;
        }
        return out;
    }

    /** The manifest as JSON, {@code schema_version} first, as {@link Detector#write} stores it. */
    public static ObjectNode withSchemaVersion(ObjectNode manifest) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("schema_version", SCHEMA_VERSION);
        manifest.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("schema_version")) {
                o.set(e.getKey(), e.getValue());
            }
        });
        return o;
    }
}
