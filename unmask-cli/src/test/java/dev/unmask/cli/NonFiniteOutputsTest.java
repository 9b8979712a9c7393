package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights that are finite but huge overflow float32 inside the network: the features, scores or
 * losses that come out are NaN or infinite. They are an error (one line, exit 2), never output.
 */
class NonFiniteOutputsTest {
    @TempDir
    Path dir;

    /** Exit 2 with the error as stderr's one line (after any progress lines of the work done before it), no result printed. */
    static void assertOneLineError(CliRun r, String contains) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines.get(lines.size() - 1)).startsWith("unmask: ").contains(contains);
        assertThat(lines.stream().filter(l -> l.contains(contains))).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).doesNotContain("NaN").doesNotContain("Infinity");
    }

    @Test
    void hugeMlpWeightsGiveAnErrorNotNanFeatures() throws Exception {
        Path model = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("huge"));
        Path weights = model.resolve("model.safetensors");
        Files.write(weights, TinyDetector.Parts.of(Files.readAllBytes(weights)).fill(n -> n.endsWith("fc1.weight"), 1e38f).bytes());
        Path img = Golden.dir("dinov2_orig_tiny_reg").resolve("input.png");
        assertOneLineError(CliRun.of("features", "--model", model.toString(), "--image", img.toString(), "--json"), "non-finite");
        assertOneLineError(CliRun.of("features", "--model", model.toString(), "--image", img.toString()), "non-finite");
    }

    @Test
    void aDetectorWithHugeHeadWeightsGivesAnErrorNotNanScores() throws Exception {
        TinyDetector t = TinyDetector.shared();
        Path huge = dir.resolve("huge.unmask");
        Files.write(huge, TinyDetector.Parts.of(Files.readAllBytes(t.file())).fill(n -> n.startsWith("head."), 1e38f).bytes());
        CliRun eval = CliRun.of("eval", "--detector", huge.toString(), "--test", t.val().toString(), "--root", t.root().toString(),
                "--out", dir.resolve("eval").toString());
        assertOneLineError(eval, "non-finite score");
        assertThat(dir.resolve("eval/scores.csv")).doesNotExist();
    }
}
