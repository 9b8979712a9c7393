package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ConvNet detector end to end, as a user runs it: train a probe on EfficientNet-B0 (the golden
 * checkpoint, random weights, 64-pixel inputs), eval it in a fresh JVM, detect with Grad-CAM
 * overlays on a photo and a video. How good the explanations are is ConvNetDetectorTest's job;
 * here the files, the JSON and the one-line refusals are checked.
 */
class ConvNetDetectorCommandTest {
    static final int SIZE = 64;
    @TempDir
    static Path dir;
    static Path backbone;
    static Path root;
    static Path detector;

    @BeforeAll
    static void trainProbe() throws Exception {
        backbone = Golden.copyModel("effnet_b0", dir.resolve("effnet_b0"));
        root = dir.resolve("faces");
        FaceSet.of(5, 48, 32).byVideo().write(dir, root);
        Path contract = FaceSet.writeBlazeFaceContract(dir);
        detector = dir.resolve("effnet.unmask");
        CliRun t = CliRun.of(train(detector, "--epochs", "3", "--batch", "8", "--lr", "0.01", "--crop-contract",
                contract.toString()));
        assertThat(t.exitCode()).as(t.err()).isZero();
    }

    static String[] train(Path out, String... extra) {
        return FaceSet.trainArgs(dir, root, backbone, out, SIZE, extra);
    }

    @Test
    void aConvNetProbeIsWrittenReadInAFreshJvmAndGivesTheSameScores() throws Exception {
        JsonNode manifest;
        try (var st = dev.unmask.core.checkpoint.SafeTensors.open(detector)) {
            manifest = StrictJson.parse(st.metadata().get(Detector.METADATA_KEY), "manifest");
        }
        assertThat(manifest.path("approach").asText()).isEqualTo("probe");
        assertThat(manifest.path("head").path("features").asText()).as("the ConvNet default").isEqualTo("pooled");
        assertThat(manifest.path("backbone").path("kind").asText()).isEqualTo("convnet");
        assertThat(manifest.path("backbone").path("name").asText()).isEqualTo("effnet_b0");
        assertThat(manifest.path("backbone").path("sha256").asText())
                .isEqualTo(dev.unmask.core.io.Hashing.sha256(backbone.resolve("model.safetensors")));
        assertThat(manifest.path("backbone").path("changed_tensors").size()).isZero();

        // Features are cached as for ViTs: a second run does not run the backbone.
        CliRun again = CliRun.of(train(dir.resolve("again.unmask"), "--epochs", "1", "--batch", "8"));
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.err()).contains("all 48 records present");

        Path evalOut = FaceSet.assertFreshJvmEvalScoresAsLoaded(dir, root, detector, SIZE);
        assertThat(StrictJson.read(evalOut.resolve("metrics.json")).path("pooled").path("frame").path("threshold").asDouble())
                .isEqualTo(manifest.path("threshold").asDouble());
    }

    @Test
    void detectExplainsAConvNetDetectorWithGradCamOnAPhotoAndAVideo() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        Path photo = TestMedia.photo("astronaut.png");
        Path video = TestMedia.astronautMp4();
        Path out = dir.resolve("detect");
        CliRun r = CliRun.of("detect", photo.toString(), video.toString(), "--detector", detector.toString(), "--json", "--explain", "--out",
                out.toString(), "--frames", "4", "--explain-top", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> lines = r.out().lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
        assertThat(lines).extracting(l -> l.path("path").asText()).containsExactly(photo.toString(), video.toString());
        int[] frames = {1, 4};
        for (int i = 0; i < 2; i++) {
            JsonNode l = lines.get(i);
            assertThat(l.path("verdict").asText()).isIn("fake", "real");
            assertThat(l.path("verdict").asText()).isEqualTo(l.path("score").asDouble() >= l.path("threshold").asDouble() ? "fake" : "real");
            assertThat(l.path("error").isNull()).isTrue();
            assertThat(l.path("frames").asInt()).isEqualTo(frames[i]);
            assertThat(l.path("faces").asInt()).isEqualTo(1);
            JsonNode e = l.path("explanation");
            assertThat(e.path("method").asText()).isEqualTo("grad-cam");
            assertThat(e.path("overlays")).hasSize(Math.min(2, frames[i]));
            for (JsonNode o : e.path("overlays")) {
                BufferedImage png = ImageIO.read(Path.of(o.path("file").asText()).toFile());
                assertThat(png.getWidth()).isEqualTo(2 * 224);
                // The map on 8-pixel cells of the 64-pixel input.
                assertThat(o.path("patch_size").asInt()).isEqualTo(8);
                assertThat(o.path("heat_grid")).hasSize(SIZE / 8);
                double max = 0;
                double min = 1;
                for (JsonNode row : o.path("heat_grid")) {
                    assertThat(row).hasSize(SIZE / 8);
                    for (JsonNode v : row) {
                        max = Math.max(max, v.asDouble());
                        min = Math.min(min, v.asDouble());
                    }
                }
                // Min-max normalised; all zero when no part of the face argues for "fake" (Grad-CAM keeps the positive part).
                assertThat(min).isEqualTo(0.0);
                assertThat(max).isIn(0.0, 1.0);
            }
            assertThat(ImageIO.read(Path.of(e.path("contact_sheet").asText()).toFile())).isNotNull();
        }
        JsonNode report = StrictJson.read(out.resolve("report.json"));
        assertThat(report.path("settings").path("explanation_method").asText()).isEqualTo("grad-cam");
        assertThat(report.path("detector").path("features").asText()).isEqualTo("pooled");

        // A ViT method asked of a ConvNet detector: one line, exit 2, before any file is read.
        CliRun vitMethod = CliRun.of("detect", photo.toString(), "--detector", detector.toString(), "--explain", "--explain-method",
                "cls-attention", "--out", dir.resolve("detect2").toString());
        assertThat(vitMethod.exitCode()).isEqualTo(2);
        assertThat(vitMethod.err()).contains("grad-cam");
        assertThat(vitMethod.errLines()).isEqualTo(1);
    }

    @Test
    void settingsOnlyAViTCanTakeAreRefusedInOneLine() {
        CliRun lntune = CliRun.of(train(dir.resolve("ln.unmask"), "--approach", "lntune", "--blocks", "1"));
        assertThat(lntune.exitCode()).isEqualTo(2);
        assertThat(lntune.err()).contains("--approach probe or finetune");
        assertThat(lntune.errLines()).isEqualTo(1);
        CliRun tokens = CliRun.of(train(dir.resolve("cls.unmask"), "--features", "cls_concat_4"));
        assertThat(tokens.exitCode()).isEqualTo(2);
        assertThat(tokens.err()).contains("pooled");
        assertThat(tokens.errLines()).isEqualTo(1);
    }
}
