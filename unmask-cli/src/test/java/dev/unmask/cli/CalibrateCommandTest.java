package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * unmask calibrate end to end: a tiny detector trained on one set of crops is calibrated on
 * another; the new file's threshold is the EER threshold that eval + metrics compute for that
 * list, its provenance says how it was chosen, its scores are the old file's, and the old file is
 * untouched.
 */
class CalibrateCommandTest {
    @TempDir
    static Path dir;
    static Path detector;

    @BeforeAll
    static void train() throws Exception {
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        for (String set : new String[] {"train", "other"}) {
            SplittableRandom r = new SplittableRandom(set.equals("train") ? 21 : 22);
            StringBuilder list = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                String rel = set + "/" + (i % 2 == 0 ? "real/" : "fake/") + i + ".png";
                Files.createDirectories(dir.resolve("faces").resolve(rel).getParent());
                ImageIO.write(FaceSet.face(r, i % 2 == 1), "png", dir.resolve("faces").resolve(rel).toFile());
                list.append(rel).append(',').append(i % 2).append('\n');
            }
            Files.writeString(dir.resolve(set + ".csv"), list.toString());
        }
        detector = dir.resolve("tiny.unmask");
        CliRun t = CliRun.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(), "--val",
                dir.resolve("train.csv").toString(), "--root", dir.resolve("faces").toString(), "--out", detector.toString(), "--cache",
                dir.resolve("cache").toString(), "--size", "56", "--batch", "8", "--epochs", "2");
        assertThat(t.exitCode()).as(t.err()).isZero();
    }

    @Test
    void theNewThresholdIsTheListsEerPointAndTheScoresStayTheSame() throws Exception {
        String before = Hashing.sha256(detector);
        Path out = dir.resolve("calibrated.unmask");
        CliRun c = CliRun.of("calibrate", "--detector", detector.toString(), "--val", dir.resolve("other.csv").toString(), "--root",
                dir.resolve("faces").toString(), "--out", out.toString(), "--json");
        assertThat(c.exitCode()).as(c.err()).isZero();
        JsonNode report = StrictJson.parse(c.out(), "calibrate --json");
        JsonSchemaTest.assertValid("calibrationReport", report);
        assertThat(Hashing.sha256(detector)).as("the calibrated detector is a copy").isEqualTo(before);

        // The same list through eval and metrics: its EER threshold is the calibrated one.
        CliRun e = CliRun.of("eval", "--detector", detector.toString(), "--test", dir.resolve("other.csv").toString(), "--root",
                dir.resolve("faces").toString(), "--out", dir.resolve("eval").toString());
        assertThat(e.exitCode()).as(e.err()).isZero();
        CliRun m = CliRun.of("metrics", "--scores", dir.resolve("eval/scores.csv").toString(), "--json");
        double eerThreshold = StrictJson.parse(m.out(), "metrics").path("frame").path("eer_threshold").asDouble();
        assertThat(report.path("threshold").asDouble()).isCloseTo(eerThreshold, within(1e-12));

        try (NDManager nd = NDManager.newBaseManager(); Detector old = Detector.load(detector, null, nd); Detector calibrated = Detector.load(out, null, nd)) {
            assertThat(calibrated.threshold()).isCloseTo(eerThreshold, within(1e-12));
            assertThat(report.path("before").asDouble()).isEqualTo(old.threshold());
            JsonNode record = calibrated.manifest().path("provenance").path("calibration");
            assertThat(record.path("list_sha256").asText()).isEqualTo(Hashing.sha256(dir.resolve("other.csv")));
            assertThat(record.path("source_sha256").asText()).isEqualTo(before);
            assertThat(record.path("items").asInt()).isEqualTo(16);
            assertThat(calibrated.manifest().path("threshold_rule").asText()).contains("calibrat");
            float[] a = old.score(nd.create(old.preprocessing().load(dir.resolve("faces/other/fake/1.png")), new ai.djl.ndarray.types.Shape(1, 3, 56, 56)));
            float[] b = calibrated.score(nd.create(calibrated.preprocessing().load(dir.resolve("faces/other/fake/1.png")),
                    new ai.djl.ndarray.types.Shape(1, 3, 56, 56)));
            assertThat(b).containsExactly(a);
        }
    }

    @Test
    void anExistingOutputAndAOneClassListAreRefusedInOneLine() throws Exception {
        CliRun exists = CliRun.of("calibrate", "--detector", detector.toString(), "--val", dir.resolve("other.csv").toString(), "--root",
                dir.resolve("faces").toString(), "--out", detector.toString());
        assertThat(exists.exitCode()).isEqualTo(2);
        assertThat(exists.err()).contains("exists");
        assertThat(exists.errLines()).isEqualTo(1);
        Files.writeString(dir.resolve("reals.csv"), "other/real/0.png,0\nother/real/2.png,0\n");
        CliRun oneClass = CliRun.of("calibrate", "--detector", detector.toString(), "--val", dir.resolve("reals.csv").toString(), "--root",
                dir.resolve("faces").toString(), "--out", dir.resolve("never.unmask").toString());
        assertThat(oneClass.exitCode()).isEqualTo(2);
        assertThat(oneClass.err()).contains("both real (label 0) and fake");
        assertThat(dir.resolve("never.unmask")).doesNotExist();
    }
}
