package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.unmask.core.Golden;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real output of every command that prints JSON, validated against the published schema
 * (docs/schema/unmask.schema.json): detect's lines and report.json, eval, metrics, features
 * (ViT and ConvNet) and train. The schema forbids keys it does not name, so a field added to a
 * report without the schema fails here.
 */
class JsonSchemaTest {
    @TempDir
    static Path dir;
    static Path detector;
    static Path trainJson;

    @BeforeAll
    static void detector() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        Path root = dir.resolve("faces");
        SplittableRandom r = new SplittableRandom(2);
        StringBuilder list = new StringBuilder("path,label,video\n");
        for (int i = 0; i < 12; i++) {
            String rel = (i % 2 == 0 ? "real/" : "fake/") + i + ".png";
            Files.createDirectories(root.resolve(rel).getParent());
            ImageIO.write(FaceSet.face(r, i % 2 == 1), "png", root.resolve(rel).toFile());
            list.append(rel).append(',').append(i % 3 == 2 ? 2 : i % 2).append(",v").append(i).append('\n');
        }
        Files.writeString(dir.resolve("list.csv"), list.toString());
        detector = dir.resolve("schema.unmask");
        CliRun t = CliRun.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("list.csv").toString(), "--val",
                dir.resolve("list.csv").toString(), "--root", root.toString(), "--out", detector.toString(), "--cache", dir.resolve("cache").toString(),
                "--image-size", "56", "--batch", "8", "--approach", "probe", "--epochs", "2", "--json");
        assertThat(t.exitCode()).as(t.err()).isZero();
        trainJson = Files.writeString(dir.resolve("train.json"), t.out());
    }

    static JsonSchema schema(String def) {
        Path file = Path.of(System.getProperty("unmask.repo", "..")).resolve("docs/schema/unmask.schema.json").toAbsolutePath().normalize();
        String wrapper = "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"$ref\": \"" + file.toUri() + "#/$defs/" + def + "\"}";
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(wrapper);
    }

    static void assertValid(String def, JsonNode json) {
        Set<ValidationMessage> errors = schema(def).validate(json);
        assertThat(errors).as(def + ": " + json.toString().substring(0, Math.min(400, json.toString().length()))).isEmpty();
    }

    @Test
    void trainJsonMatchesTheSchema() {
        JsonNode json = StrictJson.read(trainJson);
        assertValid("trainReport", json);
        assertThat(json.path("epochs_run").asInt()).isEqualTo(2);
    }

    @Test
    void detectLinesAndReportMatchTheSchema() throws Exception {
        Path broken = TestMedia.write(dir.resolve("broken.mp4"), "not a video\n".getBytes());
        Path out = dir.resolve("detect");
        CliRun r = CliRun.of("detect", TestMedia.photo("astronaut.png").toString(), TestMedia.photo("coffee.png").toString(),
                TestMedia.astronautMp4().toString(), broken.toString(), "--detector", detector.toString(), "--json", "--frames", "4", "--assume-crop",
                "--explain", "--explain-top", "1", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        long lines = r.out().lines().filter(l -> !l.isBlank()).peek(l -> assertValid("fileCheck", StrictJson.parse(l, "line"))).count();
        assertThat(lines).isEqualTo(4);
        JsonNode report = StrictJson.read(out.resolve("report.json"));
        assertValid("batchReport", report);
        assertThat(report.path("files").get(0).path("explanation").path("overlays")).hasSize(1);
    }

    @Test
    void evalAndMetricsJsonMatchTheSchema() {
        Path out = dir.resolve("eval");
        // Two lists: per-list and per-method (labels 1 and 2) sections appear too.
        CliRun e = CliRun.of("eval", "--detector", detector.toString(), "--test", dir.resolve("list.csv").toString(), "--test",
                dir.resolve("list.csv").toString(), "--root", dir.resolve("faces").toString(), "--out", out.toString(), "--json", "--bootstrap", "20");
        assertThat(e.exitCode()).as(e.err()).isZero();
        JsonNode eval = StrictJson.parse(e.out(), "eval output");
        assertValid("evalReport", eval);
        assertThat(eval.has("lists") && eval.has("methods")).isTrue();
        assertThat(StrictJson.read(out.resolve("metrics.json"))).isEqualTo(eval);
        CliRun m = CliRun.of("metrics", "--scores", out.resolve("scores.csv").toString(), "--json", "--bootstrap", "20");
        assertThat(m.exitCode()).as(m.err()).isZero();
        assertValid("metricsReport", StrictJson.parse(m.out(), "metrics output"));
    }

    @Test
    void featuresJsonMatchesTheSchemaForViTsAndConvNets() {
        CliRun vit = CliRun.of("features", "--model", Golden.dir("dinov2_orig_tiny_reg").toString(), "--image",
                Golden.dir("dinov2_orig_tiny_reg").resolve("input.png").toString(), "--json");
        assertThat(vit.exitCode()).as(vit.err()).isZero();
        JsonNode v = StrictJson.parse(vit.out(), "features");
        assertValid("featuresReport", v);
        assertThat(v.has("reg_final")).isTrue();
        CliRun conv = CliRun.of("features", "--model", Golden.dir("effnetv2_b0_tf").toString(), "--image",
                Golden.dir("effnetv2_b0_tf").resolve("input.png").toString(), "--json");
        assertThat(conv.exitCode()).as(conv.err()).isZero();
        assertValid("featuresReport", StrictJson.parse(conv.out(), "features"));
    }

    @Test
    void preCroppedFacesGetTheScoresEvalGivesTheSameCrops() {
        Path out = dir.resolve("eval-crops");
        CliRun e = CliRun.of("eval", "--detector", detector.toString(), "--test", dir.resolve("list.csv").toString(), "--root",
                dir.resolve("faces").toString(), "--out", out.toString());
        assertThat(e.exitCode()).as(e.err()).isZero();
        Path crop = dir.resolve("faces/fake/1.png");
        Path report = dir.resolve("precropped");
        CliRun d = CliRun.of("detect", crop.toString(), dir.resolve("faces/real/0.png").toString(), dir.resolve("faces/missing.png").toString(),
                "--detector", detector.toString(), "--pre-cropped", "--json", "--explain", "--out", report.toString());
        assertThat(d.exitCode()).as(d.err()).isEqualTo(3);
        List<JsonNode> lines = d.out().lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
        lines.forEach(l -> assertValid("fileCheck", l));
        assertValid("batchReport", StrictJson.read(report.resolve("report.json")));
        String scores = readString(out.resolve("scores.csv"));
        double evalScore = scores.lines().filter(l -> l.startsWith("fake/1.png,")).map(l -> Double.parseDouble(l.split(",")[2])).findFirst().orElseThrow();
        assertThat(lines.get(0).path("score").asDouble()).isCloseTo(evalScore, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(lines.get(0).path("frames").asInt()).isEqualTo(1);
        assertThat(lines.get(0).path("faces").asInt()).isEqualTo(1);
        assertThat(lines.get(0).path("explanation").path("overlays")).hasSize(1);
        assertThat(Path.of(lines.get(0).path("explanation").path("overlays").get(0).path("file").asText())).isRegularFile();
        assertThat(lines.get(2).path("verdict").asText()).isEqualTo("error");
        assertThat(lines.get(2).path("error").asText()).contains("missing.png");
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void extractJsonMatchesTheSchema() throws Exception {
        Path root = dir.resolve("dataset");
        Files.createDirectories(root.resolve("real"));
        Files.createDirectories(root.resolve("fake"));
        Files.copy(TestMedia.astronautMp4(), root.resolve("real/a.mp4"));
        Files.copy(TestMedia.astronautMp4(), root.resolve("fake/b.mp4"));
        Files.writeString(root.resolve("fake/broken.mp4"), "not a video");
        CliRun r = CliRun.of("extract", root.toString(), "--out", dir.resolve("crops").toString(), "--frames", "2", "--json");
        JsonNode json = StrictJson.parse(r.out(), "extract --json");
        assertValid("extractReport", json);
        assertThat(json.path("videos").asInt()).isEqualTo(3);
        assertThat(json.path("errors").asInt()).isEqualTo(1);
        assertThat(json.path("with_faces").asInt()).isEqualTo(2);
    }

    @Test
    void theSchemaRejectsAnUnknownKeyAndAWrongType() {
        JsonNode ok = StrictJson.parse("{\"schema_version\":1,\"frame\":{\"n\":2,\"n_real\":1,\"n_fake\":1,\"auc\":1,\"ap\":1,\"eer\":0,"
                + "\"eer_threshold\":0.5,\"tpr_at_fpr_1pct\":1,\"ece\":0.1,\"threshold\":0.5,\"acc\":1,\"hter\":0,\"acc_real\":1,\"acc_fake\":1}}", "json");
        assertValid("metricsReport", ok);
        com.fasterxml.jackson.databind.node.ObjectNode extra = ok.deepCopy();
        extra.put("surprise", 1);
        assertThat(schema("metricsReport").validate(extra)).isNotEmpty();
        com.fasterxml.jackson.databind.node.ObjectNode wrong = ok.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) wrong.get("frame")).put("auc", "high");
        assertThat(schema("metricsReport").validate(wrong)).isNotEmpty();
    }
}
