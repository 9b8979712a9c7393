package dev.unmask.core.model;

import dev.unmask.core.image.Normalization;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.vit.ViTConfigs;
import dev.unmask.core.vit.ViTLoader;
import dev.unmask.core.vit.VisionTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model directory as the Hugging Face Hub serves it: {@code config.json} plus
 * {@code model.safetensors} (or a sharded index). Pickle-only repositories are refused: loading
 * a pickle runs code from the file.
 */
public final class ModelDirectory {
    private final Path dir;
    private final JsonNode config;

    private ModelDirectory(Path dir, JsonNode config) {
        this.dir = dir;
        this.config = config;
    }

    public static ModelDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(dir + ": not a model directory (expected a folder with config.json and model.safetensors)");
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new UserError(dir + ": no config.json");
        }
        boolean safetensors = Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json"));
        if (!safetensors) {
            List<String> pickles = pickleFiles(dir);
            if (!pickles.isEmpty()) {
                throw new UserError(dir + ": only pickle weights (" + pickles.get(0) + "), which Unmask never loads because unpickling runs code;"
                        + " convert them once with safetensors' save_file(torch.load(f, weights_only=True), \"model.safetensors\")");
            }
            throw new UserError(dir + ": no model.safetensors");
        }
        JsonNode config = StrictJson.read(cfg);
        if (!config.isObject()) {
            throw new UserError(cfg + ": not a JSON object");
        }
        return new ModelDirectory(dir, config);
    }

    private static List<String> pickleFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".bin") || n.endsWith(".pth") || n.endsWith(".pt") || n.endsWith(".ckpt") || n.endsWith(".pkl"))
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    /** A GenD detector (config {@code model_type} "GenD"): a backbone with a two-class linear head, see {@link GenDModel}. */
    public boolean isGenD() {
        return GenDModel.isGenD(config);
    }

    public boolean isViT() {
        return !isGenD() && ViTConfigs.isViT(config);
    }

    /** A timm ConvNet name (EfficientNet, EfficientNetV2, Xception) we can build. */
    public boolean isConvNet() {
        JsonNode a = config.get("architecture");
        return a != null && a.isTextual() && ConvNets.supports(a.asText());
    }

    public Normalization normalization() {
        return Normalization.fromConfig(config, dir.resolve("config.json").toString());
    }

    /** Loads the ConvNet into a sub-manager of {@code parent}; the model owns and closes it. */
    public ConvNet loadConvNet(NDManager parent) {
        try (SafeTensors w = openWeights()) {
            return ConvNets.load(config.get("architecture").asText(), config, w, parent);
        }
    }

    /**
     * The ViT's configuration; a transformers repo's {@code preprocessor_config.json} (the old
     * CLIPFeatureExtractor and the newer image-processor files alike) supplies its mean and std,
     * which the model config does not carry.
     */
    public ViTConfigs.Spec vitSpec() {
        return vitSpec(config, dir);
    }

    /**
     * The ViT configuration {@code config} (read from {@code configDir/config.json}) declares, with the
     * mean and std of a {@code preprocessor_config.json} beside it; a GenD detector's backbone
     * folder holds only these two files, without weights.
     */
    public static ViTConfigs.Spec vitSpec(JsonNode config, Path configDir) {
        ViTConfigs.Spec spec = ViTConfigs.parse(config, configDir.resolve("config.json").toString());
        Path pre = configDir.resolve(PREPROCESSOR);
        if (!config.has("model_type") || !Files.isRegularFile(pre)) {
            return spec;
        }
        JsonNode p = StrictJson.read(pre);
        if (!p.isObject() || !p.has("image_mean") && !p.has("image_std")) {
            return spec;
        }
        ObjectNode asTimm = StrictJson.mapper().createObjectNode();
        asTimm.putObject("pretrained_cfg").set("mean", p.get("image_mean"));
        ((ObjectNode) asTimm.get("pretrained_cfg")).set("std", p.get("image_std"));
        Normalization n = Normalization.fromConfig(asTimm, pre.toString());
        return new ViTConfigs.Spec(spec.config().toBuilder().normalization(n.mean(), n.std()).build(), spec.layout());
    }

    /** transformers' image preprocessing settings beside config.json. */
    public static final String PREPROCESSOR = "preprocessor_config.json";

    public SafeTensors openWeights() {
        return SafeTensors.openDirectory(dir);
    }

    /** Loads the ViT into a new sub-manager of {@code parent}; the model owns and closes it. */
    public VisionTransformer loadViT(NDManager parent) {
        ViTConfigs.Spec spec = vitSpec();
        try (SafeTensors w = openWeights()) {
            return ViTLoader.load(spec.config(), spec.layout(), w, parent);
        }
    }
}
