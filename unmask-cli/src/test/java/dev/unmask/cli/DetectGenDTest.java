package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.io.StrictJson;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code detect --pre-cropped} with a GenD detector folder as the detector, on the golden GenD cases. */
class DetectGenDTest {

    static List<String> genDCases() {
        return Golden.cases(Golden.Family.GEND);
    }

    @ParameterizedTest(name = "detect --pre-cropped --json with GenD detector {0} gives its p_fake")
    @MethodSource("genDCases")
    void preCroppedScoreIsTheReferenceFakeProbability(String name, @TempDir Path tmp) {
        Path dir = Golden.dir(name);
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("detect", dir.resolve("input.png").toString(), "--detector", dir.toString(), "--pre-cropped", "--json",
                "--explain", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> lines = r.out().lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
        assertThat(lines).hasSize(1);
        JsonNode check = lines.get(0);
        JsonSchemaTest.assertValid("fileCheck", check);
        double expected = Golden.expected(name).get("p_fake").asDouble();
        assertThat(check.path("score").asDouble()).isCloseTo(expected, Offset.offset(1e-4));
        assertThat(check.path("threshold").asDouble()).isEqualTo(0.5);
        assertThat(check.path("verdict").asText()).isEqualTo(expected >= 0.5 ? "fake" : "real");
        assertThat(Path.of(check.path("explanation").path("overlays").get(0).path("file").asText())).isRegularFile();
        JsonNode report = StrictJson.read(out.resolve("report.json"));
        JsonSchemaTest.assertValid("batchReport", report);
        assertThat(report.toString()).contains(dir.toString());
    }

    @Test
    void genDFolderWithoutPreCroppedSaysWhyInOneLine() {
        Path dir = Golden.dir("gend_dinov3_tiny");
        CliRun r = CliRun.of("detect", dir.resolve("input.png").toString(), "--detector", dir.toString(), "--json");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("--pre-cropped");
        assertThat(r.out()).isEmpty();
    }
}
