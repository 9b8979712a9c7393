package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.media.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approach 2 on a ConvNet as a user runs it: {@code train --approach finetune --blocks 2} on
 * EfficientNet-B0 (golden checkpoint, random weights, 64-pixel inputs) writes only the last
 * stage's and conv_head's folded tensors; {@code eval} in a fresh JVM gives the scores of the
 * loaded detector; {@code detect --explain} draws Grad-CAM with the fine-tuned weights.
 */
class ConvNetFineTuneCommandTest {
    static final int SIZE = 64;
    @TempDir
    static Path dir;
    static Path backbone;
    static Path root;
    static Path detector;
    static CliRun trained;

    @BeforeAll
    static void finetune() throws Exception {
        backbone = Golden.copyModel("effnet_b0", dir.resolve("effnet_b0"));
        root = dir.resolve("faces");
        FaceSet.of(5, 40, 32).write(dir, root);
        Path contract = FaceSet.writeBlazeFaceContract(dir);
        detector = dir.resolve("effnet-ft.unmask");
        trained = CliRun.of(train(detector, "--approach", "finetune", "--blocks", "2", "--epochs", "2", "--batch", "16", "--crop-contract",
                contract.toString()));
        assertThat(trained.exitCode()).as(trained.err()).isZero();
    }

    static String[] train(Path out, String... extra) {
        return FaceSet.trainArgs(dir, root, backbone, out, SIZE, extra);
    }

    @Test
    void theDetectorHoldsOnlyTheTrainedUnitsAndEvalInAFreshJvmGivesItsScores() throws Exception {
        JsonNode manifest;
        Map<String, float[]> stored = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(detector)) {
            manifest = StrictJson.parse(st.metadata().get(Detector.METADATA_KEY), "manifest");
            for (String name : st.tensors().keySet()) {
                if (name.startsWith("backbone.")) {
                    stored.put(name.substring("backbone.".length()), st.readFloats(name));
                }
            }
        }
        assertThat(manifest.path("approach").asText()).isEqualTo("finetune");
        assertThat(manifest.path("backbone").path("kind").asText()).isEqualTo("convnet");
        JsonNode settings = manifest.path("settings");
        assertThat(settings.path("trained_units").toString()).isEqualTo("[\"blocks.6\",\"conv_head\"]");
        assertThat(settings.path("batchnorm").asText()).contains("frozen");
        assertThat(settings.path("optimizer").asText()).isEqualTo("adamw");
        assertThat(settings.path("weight_decay").asDouble()).as("the paper's default").isEqualTo(0.04);
        assertThat(settings.path("learning_rate").asDouble()).as("the paper's default").isEqualTo(1e-4);
        List<String> changed = new ArrayList<>();
        manifest.path("backbone").path("changed_tensors").forEach(n -> changed.add(n.asText()));
        assertThat(changed).contains("blocks.6.0.conv_pw.weight", "blocks.6.0.se.conv_expand.bias", "conv_head.weight", "conv_head.bias")
                .allMatch(n -> n.startsWith("blocks.6.") || n.startsWith("conv_head."));
        assertThat(stored.keySet()).containsExactlyElementsOf(changed);
        try (var files = Files.walk(dir.resolve("cache"))) {
            assertThat(files.filter(Files::isRegularFile).count()).as("the frozen prefix is cached").isPositive();
        }

        // The stored tensors are trained (they differ from the base checkpoint's folded ones) and are what a loaded detector runs.
        try (NDManager m = NDManager.newBaseManager(); var base = ModelDirectory.open(backbone).loadConvNet(m);
             Detector d = Detector.load(detector, null, m)) {
            float[] baseHead = base.unitTensors(0).get("conv_head.weight").toFloatArray();
            assertThat(stored.get("conv_head.weight")).isNotEqualTo(baseHead);
            assertThat(d.backbone().parameters().get("conv_head.weight").toFloatArray()).isEqualTo(stored.get("conv_head.weight"));
            assertThat(d.backbone().parameters().get("blocks.5.0.conv_pwl.weight").toFloatArray())
                    .isEqualTo(base.unitTensors(0).get("blocks.5.0.conv_pwl.weight").toFloatArray());
        }

        FaceSet.assertFreshJvmEvalScoresAsLoaded(dir, root, detector, SIZE);
    }

    @Test
    void detectExplainsAFineTunedConvNetWithGradCam() throws Exception {
        TestMedia.requireBlazeFaceModel();
        Path photo = TestMedia.photo("astronaut.png");
        Path out = dir.resolve("detect");
        CliRun r = CliRun.of("detect", photo.toString(), "--detector", detector.toString(), "--json", "--explain", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode line = StrictJson.parse(r.out().lines().filter(l -> !l.isBlank()).findFirst().orElseThrow(), "line");
        assertThat(line.path("error").isNull()).isTrue();
        assertThat(line.path("verdict").asText()).isEqualTo(line.path("score").asDouble() >= line.path("threshold").asDouble() ? "fake" : "real");
        JsonNode e = line.path("explanation");
        assertThat(e.path("method").asText()).isEqualTo("grad-cam");
        assertThat(e.path("overlays")).hasSize(1);
        JsonNode overlay = e.path("overlays").get(0);
        assertThat(ImageIO.read(Path.of(overlay.path("file").asText()).toFile())).isNotNull();
        assertThat(overlay.path("heat_grid")).hasSize(SIZE / 8);
    }

    @Test
    void lnTuningAndTooManyUnitsAreRefusedInOneLine() {
        CliRun ln = CliRun.of(train(dir.resolve("ln.unmask"), "--approach", "lntune", "--blocks", "1"));
        assertThat(ln.exitCode()).isEqualTo(2);
        assertThat(ln.err()).contains("LayerNorm").contains("finetune");
        assertThat(ln.errLines()).isEqualTo(1);
        CliRun many = CliRun.of(train(dir.resolve("many.unmask"), "--approach", "finetune", "--blocks", "9"));
        assertThat(many.exitCode()).isEqualTo(2);
        assertThat(many.err()).contains("8 units").contains("conv_head");
        assertThat(many.errLines()).isEqualTo(1);
    }
}
