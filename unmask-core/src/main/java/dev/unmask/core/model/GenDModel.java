package dev.unmask.core.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.TensorInfo;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTConfigs;
import dev.unmask.core.vit.ViTLoader;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A GenD detector folder as its Hub repos hold it (Yermakov et al., github yermandy/GenD,
 * {@code src/hf/modeling_gend.py}): {@code config.json} {@code {"model_type": "GenD", "backbone":
 * <Hub id>, "head": "linear" | "LinearNorm"}}, one {@code model.safetensors} with the backbone under
 * {@code feature_extractor.} (CLIP: {@code vision_model.*} and {@code visual_projection.weight}; DINOv3:
 * {@code backbone.*} in transformers' names) and the head {@code model.linear.{weight [2,D], bias [2]}}.
 * The GenD config carries no backbone sizes, so the folder also holds the backbone repo's
 * {@code config.json} (and {@code preprocessor_config.json}) in {@code backbone/}.
 *
 * <p>features = the backbone's final normed CLS (CLIP's {@code pooler_output}, DINO's
 * {@code last_hidden_state[:, 0]}); logits = W·f + b, with f/‖f‖₂ for LinearNorm; P(fake) =
 * softmax(logits)[1].
 */
public final class GenDModel implements AutoCloseable {
    public static final String MODEL_TYPE = "GenD";
    public static final String BACKBONE_DIR = "backbone";
    static final String PREFIX = "feature_extractor.";
    static final String HEAD_WEIGHT = "model.linear.weight";
    static final String HEAD_BIAS = "model.linear.bias";

    /** GenD's two heads: LinearNorm scales the features to unit length first. */
    public enum Head {
        LINEAR("linear"), LINEAR_NORM("LinearNorm");

        private final String id;

        Head(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    private final Path dir;
    private final String backboneRepo;
    private final Head head;
    private final VisionTransformer vit;
    private final float[][] weight;
    private final float[] bias;

    private GenDModel(Path dir, String backboneRepo, Head head, VisionTransformer vit, float[][] weight, float[] bias) {
        this.dir = dir;
        this.backboneRepo = backboneRepo;
        this.head = head;
        this.vit = vit;
        this.weight = weight;
        this.bias = bias;
    }

    public static boolean isGenD(JsonNode config) {
        JsonNode t = config.get("model_type");
        return t != null && t.isTextual() && MODEL_TYPE.equals(t.asText());
    }

    /** The head the config names; anything else is a user error naming the two GenD has. */
    public static Head head(JsonNode config, String where) {
        String h = config.path("head").asText("");
        for (Head k : Head.values()) {
            if (k.id.equals(h)) {
                return k;
            }
        }
        throw new UserError(where + ": GenD head \"" + StrictJson.oneLine(h) + "\" is not one Unmask implements (linear, LinearNorm)");
    }

    /** The backbone's configuration, from {@code backbone/config.json} (and its preprocessor file). */
    public static ViTConfigs.Spec backboneSpec(ModelDirectory md) {
        Path bb = md.dir().resolve(BACKBONE_DIR);
        Path cfg = bb.resolve("config.json");
        String repo = md.config().path("backbone").asText("?");
        if (!Files.isRegularFile(cfg)) {
            throw new UserError(md.dir() + ": a GenD detector needs its backbone's config in " + BACKBONE_DIR
                    + "/config.json (the config.json of the Hub repo " + StrictJson.oneLine(repo) + ")");
        }
        JsonNode c = StrictJson.read(cfg);
        String type = c.path("model_type").asText("");
        if (!type.equals("clip") && !type.equals("clip_vision_model") && !type.equals("dinov3_vit")) {
            throw new UserError(cfg + ": GenD backbone " + StrictJson.oneLine(repo) + " has model_type \"" + StrictJson.oneLine(type)
                    + "\"; Unmask runs GenD's CLIP and DINOv3 variants (clip, clip_vision_model, dinov3_vit), not the Perception Encoder one");
        }
        return ModelDirectory.vitSpec(c, bb);
    }

    /** Loads backbone and head; the backbone lives in a sub-manager of {@code parent} and closes with this model. */
    public static GenDModel load(ModelDirectory md, NDManager parent) {
        String where = md.dir().resolve("config.json").toString();
        Head head = head(md.config(), where);
        ViTConfigs.Spec spec = backboneSpec(md);
        int dim = spec.config().embedDim();
        try (SafeTensors w = md.openWeights()) {
            float[] wv = headTensor(w, HEAD_WEIGHT, new long[] {2, dim}, md.dir());
            float[] bv = headTensor(w, HEAD_BIAS, new long[] {2}, md.dir());
            float[][] weight = {Arrays.copyOfRange(wv, 0, dim), Arrays.copyOfRange(wv, dim, 2 * dim)};
            VisionTransformer vit = ViTLoader.load(spec.config(), new Layout(spec.layout()), w, parent);
            return new GenDModel(md.dir(), md.config().path("backbone").asText(""), head, vit, weight, bv);
        }
    }

    private static float[] headTensor(SafeTensors w, String name, long[] shape, Path dir) {
        TensorInfo t = w.tensors().get(name);
        if (t == null) {
            throw new UserError(dir + ": GenD weights lack the head tensor " + name);
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new UserError(dir + ": GenD head tensor " + name + " is " + t.shapeString() + ", the backbone needs " + Arrays.toString(shape));
        }
        float[] v = w.readFloats(name);
        for (float f : v) {
            if (!Float.isFinite(f)) {
                throw new UserError(dir + ": GenD head tensor " + name + " holds a non-finite value");
            }
        }
        return v;
    }

    public Path dir() {
        return dir;
    }

    /** The Hub id of the backbone repo, as the GenD config names it. */
    public String backboneRepo() {
        return backboneRepo;
    }

    public Head head() {
        return head;
    }

    public VisionTransformer backbone() {
        return vit;
    }

    /** The head's weight [2, D] row-major and bias [2], as a detector head holds them. */
    public float[] headWeight() {
        float[] out = new float[2 * weight[0].length];
        System.arraycopy(weight[0], 0, out, 0, weight[0].length);
        System.arraycopy(weight[1], 0, out, weight[0].length, weight[0].length);
        return out;
    }

    public float[] headBias() {
        return bias.clone();
    }

    /**
     * The square side the backbone's processor feeds: its {@code crop_size} (after a centre crop),
     * else its {@code size}, else the backbone config's image size.
     */
    public static int inputSize(ModelDirectory md, ViTConfig backbone) {
        Path pre = md.dir().resolve(BACKBONE_DIR).resolve(ModelDirectory.PREPROCESSOR);
        if (Files.isRegularFile(pre)) {
            JsonNode p = StrictJson.read(pre);
            for (String key : new String[] {"crop_size", "size"}) {
                if (key.equals("crop_size") && !p.path("do_center_crop").asBoolean(true)) {
                    continue;
                }
                JsonNode v = p.get(key);
                int side = side(v);
                if (side > 0) {
                    return side;
                }
            }
        }
        return backbone.imageSize();
    }

    private static int side(JsonNode v) {
        if (v == null) {
            return 0;
        }
        if (v.isIntegralNumber()) {
            return v.asInt();
        }
        if (v.has("height") && v.has("width") && v.get("height").asInt() == v.get("width").asInt()) {
            return v.get("height").asInt();
        }
        return v.has("shortest_edge") ? v.get("shortest_edge").asInt() : 0;
    }

    public ViTConfig backboneConfig() {
        return vit.config();
    }

    /** The two logits (real, fake) for one feature vector, in double precision as the head is tiny. */
    public float[] logits(float[] features) {
        if (features.length != weight[0].length) {
            throw new IllegalArgumentException("features of width " + features.length + ", the head reads " + weight[0].length);
        }
        double scale = 1;
        if (head == Head.LINEAR_NORM) {
            double s = 0;
            for (float f : features) {
                s += (double) f * f;
            }
            // torch's F.normalize guards a zero vector the same way.
            scale = 1 / Math.max(Math.sqrt(s), 1e-12);
        }
        float[] out = new float[2];
        for (int k = 0; k < 2; k++) {
            double acc = 0;
            for (int i = 0; i < features.length; i++) {
                acc += weight[k][i] * (features[i] * scale);
            }
            out[k] = (float) (acc + bias[k]);
        }
        return out;
    }

    /** softmax(logits)[1]: label 1 is fake in GenD. */
    public static double fakeProbability(float[] logits) {
        return 1 / (1 + Math.exp((double) logits[0] - logits[1]));
    }

    @Override
    public void close() {
        vit.close();
    }

    /**
     * GenD's names are the backbone's under {@code feature_extractor.} (DINO's once more under
     * {@code backbone.}); the head is read apart from the backbone.
     */
    static final class Layout implements CheckpointLayout {
        private final CheckpointLayout inner;

        Layout(CheckpointLayout inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return "GenD over " + inner.name();
        }

        @Override
        public Target toCanonical(String source) {
            if (source.equals(HEAD_WEIGHT) || source.equals(HEAD_BIAS)) {
                return IGNORED;
            }
            if (!source.startsWith(PREFIX)) {
                return null;
            }
            String s = source.substring(PREFIX.length());
            if (s.startsWith("backbone.")) {
                s = s.substring("backbone.".length());
            }
            return inner.toCanonical(s);
        }

        @Override
        public String toSource(String canonical) {
            return PREFIX + "{vision_model.,backbone.}" + inner.toSource(canonical);
        }
    }
}
