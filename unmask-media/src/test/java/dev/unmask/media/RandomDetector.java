package dev.unmask.media;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.Golden;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.detector.BackboneRef;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Path;
import java.util.Map;

/**
 * A detector file without training: a seeded random linear head on the golden tiny ViT's CLS
 * token, 56 px input, threshold 0.5, declaring no crop contract. For tests of
 * what is done with scores (verdicts, grouping, reports), not of how good they are.
 */
public final class RandomDetector {
    private RandomDetector() {}

    /** Writes {@code dir/random.unmask} (and the backbone it needs under {@code dir/tiny_reg}); returns the detector file. */
    public static Path write(Path dir, long seed) throws Exception {
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = ModelDirectory.open(backbone).loadViT(m)) {
            HeadSpec spec = HeadSpec.linear(FeatureVariant.CLS_LAST, 1, 1, vit.config().embedDim());
            ObjectNode o = StrictJson.mapper().createObjectNode();
            o.put("format", Detector.FORMAT).put("version", Detector.VERSION).put("approach", "probe");
            o.set("head", Detector.headJson(spec));
            BackboneRef ref = BackboneRef.of(backbone);
            o.putObject("backbone").put("name", ref.name()).put("path", ref.dir().toString()).put("sha256", ref.sha256())
                    .putArray("changed_tensors");
            o.set("preprocessing", Detector.preprocessingJson(Preprocessing.forBackbone(vit.config().patchSize(), vit.config().mean(), vit.config().std(), 56)));
            o.put("threshold", 0.5);
            Path file = dir.resolve("random.unmask");
            Detector.write(file, o, Head.initialise(spec, seed, m), Map.of());
            return file;
        }
    }
}
