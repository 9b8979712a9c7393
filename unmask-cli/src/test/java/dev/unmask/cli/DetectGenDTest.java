package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code detect} with a GenD detector folder as the detector, on the golden GenD cases: on face crops, and on media with GenD's alignment. */
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

    /**
     * Without --pre-cropped, a GenD folder finds and aligns faces itself (the gend recipe): on a
     * photo and on a short video each face's score is the score of the aligned crop that
     * {@code extract --align gend} writes for the same frame, judged with --pre-cropped; the
     * crop contract says gend and BlazeFace; --explain writes overlays.
     */
    @ParameterizedTest(name = "detect on a photo and a video with GenD detector {0} judges gend-aligned crops")
    @MethodSource("genDCases")
    void withoutPreCroppedTheFacesAreAlignedAsExtractAlignGendMakesThem(String name, @TempDir Path tmp) throws IOException {
        TestMedia.requireFfmpeg();
        Path dir = Golden.dir(name);
        Path photo = TestMedia.photo("astronaut.png");
        Path video = TestMedia.astronautMp4();
        Path root = tmp.resolve("media");
        Files.createDirectories(root.resolve("real"));
        Files.copy(photo, root.resolve("real/photo.png"));
        Files.copy(video, root.resolve("real/clip.mp4"));
        Path crops = tmp.resolve("crops");
        CliRun extract = CliRun.of("extract", root.toString(), "--out", crops.toString(), "--align", "gend", "--frames", "4", "--workers", "1");
        assertThat(extract.exitCode()).as(extract.err()).isZero();
        JsonNode contract = StrictJson.read(crops.resolve("extract.json")).path("crop_contract");
        assertThat(contract.path("alignment").asText()).startsWith("gend:blazeface");
        assertThat(contract.path("size").asInt()).isEqualTo(256);
        assertThat(contract.path("resize_kernel").asText()).isEqualTo("opencv-linear");

        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("detect", photo.toString(), video.toString(), "--detector", dir.toString(), "--json", "--frames", "4",
                "--explain", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> checks = r.out().lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
        assertThat(checks).hasSize(2);
        JsonNode report = StrictJson.read(out.resolve("report.json"));
        JsonSchemaTest.assertValid("batchReport", report);
        JsonNode declared = report.path("detector").path("crop_contract");
        for (String key : new String[] {"detector", "margin", "size", "resize_kernel", "alignment"}) {
            assertThat(declared.path(key)).as(key).isEqualTo(contract.path(key));
        }
        assertThat(declared.path("landmarks").asText()).contains("BlazeFace").contains("RetinaFace");

        for (int i = 0; i < 2; i++) {
            JsonNode check = checks.get(i);
            JsonSchemaTest.assertValid("fileCheck", check);
            assertThat(check.path("verdict").asText()).isIn("fake", "real");
            assertThat(Path.of(check.path("explanation").path("overlays").get(0).path("file").asText())).isRegularFile();
            String folder = i == 0 ? "photo" : "clip";
            List<Path> made;
            try (Stream<Path> files = Files.walk(crops)) {
                made = files.filter(f -> f.getFileName().toString().endsWith(".png") && f.getParent().getFileName().toString().startsWith(folder))
                        .sorted().toList();
            }
            JsonNode frames = check.path("frame_scores");
            assertThat(made).as("one aligned crop per frame judged").hasSize(frames.size());
            assertThat(frames.size()).isEqualTo(i == 0 ? 1 : 4);
            List<String> args = new ArrayList<>(List.of("detect", "--detector", dir.toString(), "--pre-cropped", "--json"));
            made.forEach(f -> args.add(f.toString()));
            CliRun pre = CliRun.of(args.toArray(String[]::new));
            assertThat(pre.exitCode()).as(pre.err()).isZero();
            List<JsonNode> preChecks = pre.out().lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
            double sum = 0;
            for (int k = 0; k < made.size(); k++) {
                int frame = Integer.parseInt(made.get(k).getFileName().toString().substring(1, 7));
                JsonNode f = frames.get(k);
                assertThat(f.path("frame").asInt()).isEqualTo(frame);
                assertThat(f.path("score").asDouble()).as(made.get(k).toString()).isCloseTo(preChecks.get(k).path("score").asDouble(), Offset.offset(1e-6));
                sum += f.path("score").asDouble();
            }
            assertThat(check.path("score").asDouble()).isCloseTo(sum / made.size(), Offset.offset(1e-6));
            if (i == 1) {
                // The video pans: its frames' crops, and so their scores, differ.
                assertThat(frames.findValues("score").stream().map(JsonNode::asDouble).distinct().count()).isGreaterThan(1);
            }
        }
    }
}
