package dev.unmask.core.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.DType;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.checkpoint.TensorInfo;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.model.GenDModel;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.Backbone;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A trained detector, one {@code NAME.unmask} file: a safetensors file whose tensors are the
 * head ({@code head.*}) and the backbone tensors training changed ({@code backbone.*}), and whose
 * {@code __metadata__["unmask_detector"]} is a JSON manifest: approach and settings, head shape,
 * backbone reference (kind — {@code vit}, or {@code convnet}; files written before ConvNets
 * have no kind and are ViTs — name, path, SHA-256 of its weights), preprocessing, the threshold chosen at
 * the validation EER, validation metrics, the per-epoch training log ({@link TrainingLog}),
 * provenance and the crop contract of the training data.
 *
 * <p>The file is untrusted input: no Java serialization, bounded size and tensor count, tensor
 * names from a fixed alphabet, every shape checked against the manifest and the backbone, and
 * the backbone's bytes verified against the recorded hash before use.
 */
public final class Detector implements AutoCloseable {
    public static final String METADATA_KEY = "unmask_detector";
    public static final String FORMAT = "unmask-detector";
    public static final int VERSION = 1;
    static final long MAX_FILE_BYTES = 16L << 30;
    static final int MAX_TENSORS = 10_000;
    private static final Pattern TENSOR_NAME = Pattern.compile("(head|backbone)\\.[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+){0,7}");

    private final JsonNode manifest;
    private final DetectorManifest spec;
    private final Backbone backbone;
    private final Head head;
    private final Preprocessing preprocessing;
    private final double threshold;

    private Detector(JsonNode manifest, DetectorManifest spec, Backbone backbone, Head head, Preprocessing preprocessing, double threshold) {
        this.manifest = manifest;
        this.spec = spec;
        this.backbone = backbone;
        this.head = head;
        this.preprocessing = preprocessing;
        this.threshold = threshold;
    }

    /** Writes the detector file atomically; {@code manifest} must already hold every field {@link #load} reads. */
    public static void write(Path file, ObjectNode manifest, Head head, Map<String, NDArray> changedBackbone) throws IOException {
        Map<String, SafeTensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        head.parameters().forEach((k, v) -> tensors.put("head." + k, new SafeTensorsWriter.Tensor(v.getShape().getShape(), v.toFloatArray())));
        changedBackbone.forEach((k, v) -> tensors.put("backbone." + k, new SafeTensorsWriter.Tensor(v.getShape().getShape(), v.toFloatArray())));
        for (String name : tensors.keySet()) {
            if (!TENSOR_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("tensor name " + name + " is outside the detector alphabet");
            }
        }
        SafeTensorsWriter.write(file, tensors, Map.of("format", "pt", METADATA_KEY,
                StrictJson.mapper().writeValueAsString(DetectorManifest.withSchemaVersion(manifest))));
    }

    /**
     * Writes {@code dest}: the detector file {@code source} with another decision threshold, the
     * rule that chose it, and what chose it under {@code provenance.calibration}; every tensor is
     * copied as it is. Written atomically; {@code source} is not changed.
     */
    public static void withThreshold(Path source, Path dest, double threshold, String rule, ObjectNode calibration) throws IOException {
        if (!Double.isFinite(threshold)) {
            throw new UserError("the threshold must be a finite number, got " + threshold);
        }
        Map<String, SafeTensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        ObjectNode manifest;
        try (SafeTensors st = SafeTensors.open(source)) {
            String json = st.metadata().get(METADATA_KEY);
            if (json == null) {
                throw new UserError(source + ": not an Unmask detector file (no manifest)");
            }
            manifest = (ObjectNode) StrictJson.parse(json, source + ": manifest");
            for (String name : st.tensors().keySet()) {
                tensors.put(name, new SafeTensorsWriter.Tensor(st.info(name).shape(), st.readFloats(name)));
            }
        }
        manifest.put("threshold", threshold);
        manifest.put("threshold_rule", rule);
        ObjectNode provenance = manifest.has("provenance") && manifest.get("provenance").isObject()
                ? (ObjectNode) manifest.get("provenance") : manifest.putObject("provenance");
        provenance.set("calibration", calibration);
        SafeTensorsWriter.write(dest, tensors, Map.of("format", "pt", METADATA_KEY,
                StrictJson.mapper().writeValueAsString(DetectorManifest.withSchemaVersion(manifest))));
    }

    /**
     * Loads a detector and its backbone.
     *
     * @param backboneDir the backbone folder, or null to use the one recorded in the file (or,
     *                    failing that, a folder of the recorded name under the Unmask home)
     */
    public static Detector load(Path file, Path backboneDir, NDManager parent) {
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": is a folder; --detector takes a detector file (NAME.unmask, written by unmask train)");
        }
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": no such detector file");
        }
        if (!looksLikeSafeTensors(file)) {
            throw new UserError(file + ": not an Unmask detector file (NAME.unmask, written by unmask train)");
        }
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new UserError(file + ": larger than " + (MAX_FILE_BYTES >> 30) + " GiB, not a detector file");
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            String text = st.metadata().get(METADATA_KEY);
            if (text == null) {
                throw new UserError(file + ": not an Unmask detector (no \"" + METADATA_KEY + "\" manifest in its metadata)");
            }
            JsonNode m = StrictJson.parse(text, file + " manifest");
            String where = file + ": manifest";
            DetectorManifest spec = DetectorManifest.parse(m, where);
            if (st.tensors().size() > MAX_TENSORS) {
                throw new UserError(file + ": " + st.tensors().size() + " tensors, more than a detector holds");
            }
            for (TensorInfo t : st.tensors().values()) {
                if (!TENSOR_NAME.matcher(t.name()).matches()) {
                    throw new UserError(file + ": tensor name \"" + StrictJson.oneLine(t.name()) + "\" is not a detector tensor name");
                }
                if (t.dtype() != DType.F32) {
                    throw new UserError(file + ": tensor " + t.name() + " is " + t.dtype() + ", detectors store F32");
                }
            }
            Preprocessing preprocessing = spec.preprocessing();
            double threshold = spec.threshold();

            JsonNode bb = m.get("backbone");
            String sha = spec.backbone().sha256();
            Path dir = locateBackbone(backboneDir, bb, where);
            String actual = BackboneRef.weightsSha256(dir);
            if (!actual.equals(sha)) {
                throw new UserError(file + ": the backbone at " + dir + " has weights SHA-256 " + actual.substring(0, 12)
                        + "..., but this detector was trained on " + text(bb, "name", where) + " with SHA-256 " + sha.substring(0, Math.min(12, sha.length()))
                        + "...; pass --backbone with those exact weights");
            }
            String kind = spec.backbone().kind();
            ModelDirectory md = ModelDirectory.open(dir);
            String found = md.isConvNet() ? Backbone.CONVNET : Backbone.VIT;
            if (!kind.equals(found)) {
                throw new UserError(where + ": the detector was trained on a " + StrictJson.oneLine(kind) + " backbone, " + dir + " holds a " + found);
            }
            Backbone backbone = Backbone.load(md, parent);
            try {
                backbone.preprocessing(preprocessing.size());
                HeadSpec headSpec = headSpec(object(m, "head", where), backbone, preprocessing.size(), where);
                Map<String, float[]> headValues = new LinkedHashMap<>();
                Map<String, long[]> headShapes = headSpec.parameterShapes();
                Map<String, long[]> backboneShapes = backbone.parameterShapes();
                int changed = 0;
                for (TensorInfo t : st.tensors().values()) {
                    boolean isHead = t.name().startsWith("head.");
                    String name = t.name().substring(isHead ? 5 : 9);
                    long[] want = isHead ? headShapes.get(name) : backboneShapes.get(name);
                    if (want == null || !Arrays.equals(want, t.shape())) {
                        throw new UserError(file + ": tensor " + t.name() + " " + t.shapeString() + " does not belong to this "
                                + (isHead ? "head" : "backbone") + (want == null ? "" : " (expected " + Arrays.toString(want) + ")"));
                    }
                    float[] values = st.readFloats(t.name());
                    for (float v : values) {
                        if (!Float.isFinite(v)) {
                            throw new UserError(file + ": tensor " + t.name() + " holds a non-finite value");
                        }
                    }
                    if (isHead) {
                        headValues.put(name, values);
                    } else {
                        Tensors.assign(backbone.parameters().get(name), values);
                        changed++;
                    }
                }
                if (headValues.size() != headShapes.size()) {
                    throw new UserError(file + ": the head lacks tensors " + headShapes.keySet().stream().filter(k -> !headValues.containsKey(k)).toList());
                }
                java.util.Set<String> inFile = new java.util.TreeSet<>();
                for (TensorInfo t : st.tensors().values()) {
                    if (t.name().startsWith("backbone.")) {
                        inFile.add(t.name().substring(9));
                    }
                }
                // The names, not just their count: a flipped byte in one must not pass.
                if (!inFile.equals(new java.util.TreeSet<>(spec.backbone().changedTensors()))) {
                    throw new UserError(where + ": backbone.changed_tensors lists " + spec.backbone().changedTensors().size()
                            + " tensors, the file holds " + changed + (changed == spec.backbone().changedTensors().size()
                            ? ", others (" + firstDifference(inFile, spec.backbone().changedTensors()) + ")" : ""));
                }
                Head head = Head.of(headSpec, headValues, parent);
                return new Detector(m, spec, backbone, head, preprocessing, threshold);
            } catch (RuntimeException e) {
                backbone.close();
                throw e;
            }
        }
    }

    /** Threshold of an imported GenD detector until it is calibrated on the user's data: GenD's own argmax. */
    public static final double GEND_THRESHOLD = 0.5;

    /**
     * A GenD detector folder ({@link GenDModel}) as a detector: its backbone, its linear or
     * LinearNorm head on the final normed CLS, the backbone processor's input size, mean and std
     * (resized bicubic when a crop is not that size), threshold {@value #GEND_THRESHOLD}. The
     * manifest is made here, not read: it names the folder, the backbone repo and the weights' SHA-256,
     * and holds {@code cropContract}.
     *
     * @param cropContract how faces are to be cut for it (GenD's aligned faces, made by the media
     *                     layer's {@code gend} recipe, which this layer cannot see), stored as the
     *                     manifest's {@code crop_contract}
     */
    public static Detector loadGenD(Path dir, Map<String, ?> cropContract, NDManager parent) {
        ModelDirectory md = ModelDirectory.open(dir);
        if (!md.isGenD()) {
            throw new UserError(dir + ": not a GenD detector folder (its config.json has no model_type \"GenD\")");
        }
        GenDModel g = GenDModel.load(md, parent);
        Head head = null;
        try {
            Backbone backbone = new Backbone.ViT(g.backbone());
            int dim = g.backboneConfig().embedDim();
            Preprocessing preprocessing = backbone.preprocessing(GenDModel.inputSize(md, g.backboneConfig()));
            HeadSpec headSpec = new HeadSpec(FeatureVariant.CLS_LAST, g.head() == GenDModel.Head.LINEAR_NORM ? HeadSpec.Kind.LINEAR_NORM
                    : HeadSpec.Kind.LINEAR, 1, 1, dim, 0, 0f);
            Map<String, float[]> values = new LinkedHashMap<>();
            values.put("head.weight", g.headWeight());
            values.put("head.bias", g.headBias());
            head = Head.of(headSpec, values, parent);
            ObjectNode m = StrictJson.mapper().createObjectNode();
            m.put("format", FORMAT);
            m.put("version", VERSION);
            // GenD tunes only the backbone's LayerNorms (and the head).
            m.put("approach", "lntune");
            m.set("head", headJson(headSpec));
            ObjectNode bb = m.putObject("backbone");
            bb.put("kind", Backbone.VIT);
            bb.put("name", g.backboneRepo());
            bb.put("path", md.dir().toAbsolutePath().toString());
            bb.put("sha256", BackboneRef.weightsSha256(md.dir()));
            bb.putArray("changed_tensors");
            m.set("preprocessing", preprocessingJson(preprocessing));
            m.set("crop_contract", StrictJson.mapper().valueToTree(cropContract));
            ObjectNode provenance = m.putObject("provenance");
            provenance.set("source", GenDSource.describe(md.dir(), g.backboneRepo(), bb.get("sha256").asText()));
            double threshold = GEND_THRESHOLD;
            String rule = "GenD's argmax: P(fake) >= 0.5; not calibrated on your data";
            JsonNode calibrated = GenDSource.calibration(md.dir(), bb.get("sha256").asText());
            if (calibrated != null) {
                threshold = calibrated.get("threshold").asDouble();
                rule = calibrated.get("threshold_rule").asText();
                provenance.set("calibration", calibrated.get("calibration"));
            }
            m.put("threshold", threshold);
            m.put("threshold_rule", rule);
            m.put("note", "GenD detector (Yermakov et al., WACV 2026, github yermandy/GenD) read from " + md.dir().toAbsolutePath()
                    + ": " + g.head().id() + " head on backbone " + g.backboneRepo());
            DetectorManifest spec = DetectorManifest.parse(m, dir + ": GenD detector");
            return new Detector(m, spec, backbone, head, preprocessing, threshold);
        } catch (RuntimeException e) {
            if (head != null) {
                head.close();
            }
            g.close();
            throw e;
        }
    }

    /** Whether {@code path} is a GenD detector folder (a folder whose config.json has model_type "GenD"). */
    public static boolean isGenDFolder(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json")) && ModelDirectory.open(path).isGenD();
    }

    /**
     * Loads what {@code --detector} names once resolved: a GenD detector folder ({@link #loadGenD}) or
     * a detector file ({@link #load}).
     *
     * @param backboneDir for a detector file only: its backbone folder, or null
     * @param genDCropContract for a GenD folder only: its crop contract (see {@link #loadGenD})
     */
    public static Detector open(Path detector, Path backboneDir, Map<String, ?> genDCropContract, NDManager parent) {
        if (isGenDFolder(detector)) {
            if (backboneDir != null) {
                throw new UserError(detector + ": a GenD detector folder holds its own backbone weights; --backbone does not apply to it");
            }
            return loadGenD(detector, genDCropContract, parent);
        }
        return load(detector, backboneDir, parent);
    }

    /**
     * Writes {@code dest}, a new GenD detector folder: {@code source}'s files hard-linked (copied
     * where linking is impossible, as across file systems) and {@link GenDSource#CALIBRATION} holding
     * the new threshold, its rule and {@code calibration}, which {@link #loadGenD} honours. Built
     * under a temporary name beside {@code dest} and renamed, so no reader sees half of it.
     */
    public static void genDWithThreshold(Path source, Path dest, double threshold, String rule, ObjectNode calibration) throws IOException {
        GenDSource.writeCalibrated(source, dest, threshold, rule, calibration);
    }

    /**
     * Whether the file starts as a safetensors file does: a plausible 8-byte header length, then a
     * JSON object. Anything else (a text file, an image) is not a detector at all, and
     * saying so is clearer than the checkpoint reader's complaint about its header length.
     */
    private static boolean looksLikeSafeTensors(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(9);
            if (head.length < 9) {
                return false;
            }
            long n = java.nio.ByteBuffer.wrap(head, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            // A header length past the file's end with a JSON start is a truncated detector: the reader says so.
            return n >= 2 && n <= 100L << 20 && head[8] == '{';
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    private static String firstDifference(java.util.Set<String> inFile, List<String> listed) {
        for (String t : listed) {
            if (!inFile.contains(t)) {
                return "lists " + StrictJson.oneLine(t) + ", which the file does not hold";
            }
        }
        return "holds tensors the list does not name";
    }

    private static Path locateBackbone(Path override, JsonNode bb, String where) {
        if (override != null) {
            return override;
        }
        Path recorded;
        try {
            recorded = Path.of(text(bb, "path", where + ".backbone"));
        } catch (java.nio.file.InvalidPathException e) {
            throw new UserError(where + ".backbone: \"path\" is not a valid path; pass --backbone DIR");
        }
        if (Files.isDirectory(recorded)) {
            return recorded;
        }
        String name = text(bb, "name", where + ".backbone");
        if (name.matches("[A-Za-z0-9_.-]{1,100}") && !name.startsWith(".")) {
            Path home = BuiltinModels.home().resolve("models").resolve(name);
            if (Files.isDirectory(home)) {
                return home;
            }
        }
        throw new UserError("the detector's backbone " + name + " is not at " + recorded + "; pass --backbone DIR with the same weights");
    }

    static HeadSpec headSpec(JsonNode h, Backbone backbone, int size, String where) {
        String w = where + ".head";
        FeatureVariant variant = FeatureVariant.parse(text(h, "features", w));
        backbone.requireFeatures(variant);
        HeadSpec.Kind kind = HeadSpec.Kind.parse(text(h, "kind", w));
        int blocks = integer(h, "blocks", w);
        int dim = integer(h, "dim", w);
        int[] gives = backbone.headInputShape(variant, size);
        if (blocks != gives[0] || dim != gives[2]) {
            throw new UserError(w + ": head reads " + blocks + " blocks of width " + dim + ", the backbone gives "
                    + gives[0] + " of width " + gives[2]);
        }
        try {
            return new HeadSpec(variant, kind, blocks, integer(h, "tokens", w), dim, integer(h, "mlp_hidden", w),
                    (float) h.path("mlp_dropout").asDouble());
        } catch (IllegalArgumentException e) {
            throw new UserError(w + ": " + e.getMessage());
        }
    }

    public static ObjectNode headJson(HeadSpec spec) {
        ObjectNode h = StrictJson.mapper().createObjectNode();
        h.put("features", spec.variant().id());
        h.put("kind", spec.kind().id());
        h.put("blocks", spec.blocks());
        h.put("tokens", spec.tokens());
        h.put("dim", spec.dim());
        h.put("mlp_hidden", spec.mlpHidden());
        h.put("mlp_dropout", spec.mlpDropout());
        return h;
    }

    public static ObjectNode preprocessingJson(Preprocessing p) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("size", p.size());
        o.put("resize", p.resizeKernel());
        var mean = o.putArray("mean");
        var std = o.putArray("std");
        for (int i = 0; i < 3; i++) {
            mean.add(p.mean()[i]);
            std.add(p.std()[i]);
        }
        return o;
    }

    private static JsonNode object(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isObject()) {
            throw new UserError(where + ": \"" + key + "\" must be an object");
        }
        return v;
    }

    private static String text(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) {
            throw new UserError(where + ": \"" + key + "\" must be a string");
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new UserError(where + ": \"" + key + "\" must be a whole number");
        }
        return v.asInt();
    }

    /** The manifest as stored (JSON); {@link #spec()} is the same, typed and checked. */
    public JsonNode manifest() {
        return manifest;
    }

    /** The manifest, typed: every field checked on load. */
    public DetectorManifest spec() {
        return spec;
    }

    /** The per-epoch log of the run that trained this detector (checked on load; empty for files without one). */
    public List<TrainingLog.Epoch> trainingLog() {
        return TrainingLog.of(manifest, "detector manifest");
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The decision threshold chosen at the validation EER: score ≥ threshold is fake. */
    public double threshold() {
        return threshold;
    }

    public Backbone backbone() {
        return backbone;
    }

    public Head head() {
        return head;
    }

    /** Probability of fake for a batch of preprocessed images [B, 3, S, S]. */
    public float[] score(NDArray images) {
        try (NDManager scope = images.getManager().newSubManager()) {
            images.tempAttach(scope);
            NDArray features = backbone.headInput(images, head.spec().variant());
            return Head.fakeProbability(head.logits(features, null));
        }
    }

    @Override
    public void close() {
        head.close();
        backbone.close();
    }
}
