package dev.unmask.core.convnet;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.TimmConvNetLayout;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry point: which timm ConvNet names we implement, and loading one from a Hub model directory. */
public final class ConvNets {
    private ConvNets() {}

    /** True for the timm names (with or without a {@code .tag}) that {@link #load} builds. */
    public static boolean supports(String architecture) {
        String name = canonical(architecture);
        return name != null && (EfficientNet.supports(name) || Xception.supports(name));
    }

    /** Every name {@link #supports} accepts, without tags. */
    public static List<String> architectures() {
        List<String> all = new ArrayList<>(EfficientNet.architectures());
        all.add("legacy_xception");
        all.add("xception");
        return all;
    }

    /**
     * Builds {@code architecture} from a timm Hub {@code config.json} and its checkpoint, with the
     * weights in a sub-manager of {@code manager}. Every tensor is checked against the
     * architecture before any is read: a checkpoint that does not fit names its first missing,
     * misshapen or unexpected tensor in a {@link UserError}.
     */
    public static ConvNet load(String architecture, JsonNode config, SafeTensors weights, NDManager manager) {
        return load(architecture, config, weights, TimmConvNetLayout.INSTANCE, manager, null);
    }

    /**
     * As {@link #load(String, JsonNode, SafeTensors, NDManager)} for a checkpoint of another source,
     * whose tensor names {@code layout} converts into timm's (the canonical ConvNet names).
     */
    public static ConvNet load(String architecture, JsonNode config, SafeTensors weights, CheckpointLayout layout, NDManager manager) {
        return load(architecture, config, weights, layout, manager, null);
    }

    private static ConvNet load(String architecture, JsonNode config, SafeTensors weights, CheckpointLayout layout, NDManager manager,
                                Map<String, SafeTensorsWriter.Tensor> drawn) {
        if (!supports(architecture)) {
            throw new UserError("unknown ConvNet architecture \"" + architecture + "\"; supported: "
                    + String.join(", ", architectures()));
        }
        String name = canonical(architecture);
        JsonNode named = config == null ? null : config.get("architecture");
        if (named != null && !(named.isTextual() && name.equals(canonical(named.asText())))) {
            throw new UserError("config.json names architecture " + named + ", not " + architecture);
        }
        TimmConfig cfg = new TimmConfig(name, config);
        return EfficientNet.supports(name)
                ? EfficientNet.load(name, cfg, weights, layout, manager, drawn)
                : Xception.load(name, cfg, weights, layout, manager, drawn);
    }

    /**
     * {@code architecture} with seeded random weights of the real shapes (for benchmarks): the
     * cost of the real network without a checkpoint, which cannot be downloaded offline.
     */
    public static ConvNet random(String architecture, JsonNode config, NDManager manager) {
        return load(architecture, config, null, TimmConvNetLayout.INSTANCE, manager, null);
    }

    /**
     * Writes a model directory ({@code config.json} + {@code model.safetensors}, timm's tensor
     * names, BatchNorm unfolded, classifier included) holding the weights {@link #random} draws,
     * so that everything that reads a backbone from disk (training, detectors) can run the real
     * network without a download.
     *
     * @param config a timm Hub config naming {@code architecture}; written as given
     */
    public static Path writeRandom(Path dir, String architecture, ObjectNode config) throws IOException {
        Map<String, SafeTensorsWriter.Tensor> drawn = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            load(architecture, config, null, TimmConvNetLayout.INSTANCE, m, drawn).close();
            Files.createDirectories(dir);
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), drawn, Map.of("format", "pt", "unmask", "random-bench"));
            AtomicFiles.writeString(dir.resolve("config.json"), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(config));
            return dir;
        }
    }

    /**
     * timm's own aliases: a pretrained tag after the first dot is not part of the architecture,
     * and {@code xception} is 0.9.12's deprecated name for {@code legacy_xception}.
     */
    private static String canonical(String architecture) {
        if (architecture == null || architecture.isEmpty()) {
            return null;
        }
        int dot = architecture.indexOf('.');
        String name = dot < 0 ? architecture : architecture.substring(0, dot);
        return name.equals("xception") ? "legacy_xception" : name;
    }
}
