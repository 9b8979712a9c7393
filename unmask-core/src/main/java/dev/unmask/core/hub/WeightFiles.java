package dev.unmask.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The files that make a model directory, as the Hub lays them out. */
final class WeightFiles {
    static final String CONFIG = "config.json";
    /** transformers' image preprocessing (mean, std), beside the config where the repo has one. */
    static final String PREPROCESSOR = dev.unmask.core.model.ModelDirectory.PREPROCESSOR;
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    /** Pickle weights: recognised only to refuse them with advice, never fetched. */
    static final List<String> PICKLES = List.of("pytorch_model.bin", "pytorch_model.bin.index.json",
            "open_clip_pytorch_model.bin", "model.pth", "checkpoint.pth");

    private WeightFiles() {}

    /** The shard files an index names, sorted, each a plain file name ending in {@code .safetensors}. */
    static List<String> shards(byte[] indexJson, String what) {
        JsonNode map = StrictJson.parse(indexJson, what).get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new UserError(what + ": no \"weight_map\" object");
        }
        TreeSet<String> shards = new TreeSet<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw new UserError(what + ": a weight_map value is not a file name");
            }
            String shard = ModelCache.checkFileName(v.asText(), what);
            if (!shard.endsWith(".safetensors")) {
                throw new UserError(what + ": shard \"" + shard + "\" is not a .safetensors file");
            }
            shards.add(shard);
        }
        return List.copyOf(shards);
    }
}
