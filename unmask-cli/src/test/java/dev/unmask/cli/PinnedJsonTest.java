package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.Golden;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON that detect, eval and metrics printed before their reports moved onto the API's
 * records, pinned on fixed inputs (a seeded tiny detector, the public-domain photos, an
 * ffmpeg-made video, a broken file): what scripts read must not change when the code under it
 * does. Times vary and are not compared; paths are compared relative to the test's folders;
 * numbers within 1e-4; new keys are allowed only where listed. Run with
 * {@code -Dunmask.pin.record=true} to write the pinned files anew (only when a change is meant).
 */
class PinnedJsonTest {
    /** Keys the API added on top of the pinned output. */
    static final Set<String> ADDED = Set.of("schema_version", "weak_faces", "faces_judged", "min_face_confidence", "video_score", "videos", "validation_eer",
            // detector.source: where an imported (GenD) detector came from; null for the trained one pinned here.
            "source");
    static final Set<String> VOLATILE = Set.of("timings", "wall_s", "seconds");

    @TempDir
    static Path dir;
    static Path detector;

    @BeforeAll
    static void detector() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        Path root = dir.resolve("faces");
        SplittableRandom r = new SplittableRandom(11);
        StringBuilder list = new StringBuilder("path,label,video\n");
        for (int i = 0; i < 16; i++) {
            String rel = (i % 2 == 0 ? "real/" : "fake/") + i + ".png";
            Files.createDirectories(root.resolve(rel).getParent());
            ImageIO.write(FaceSet.face(r, i % 2 == 1), "png", root.resolve(rel).toFile());
            list.append(rel).append(',').append(i % 2).append(',').append(i % 2 == 0 ? "r" : "f").append(i / 4).append('\n');
        }
        Files.writeString(dir.resolve("list.csv"), list.toString());
        detector = dir.resolve("pin.unmask");
        CliRun t = CliRun.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("list.csv").toString(), "--val",
                dir.resolve("list.csv").toString(), "--root", root.toString(), "--out", detector.toString(), "--cache", dir.resolve("cache").toString(),
                "--image-size", "56", "--batch", "8", "--approach", "probe", "--epochs", "2", "--seed", "5");
        assertThat(t.exitCode()).as(t.err()).isZero();
    }

    @Test
    void detectJsonLinesAreAsPinned() throws Exception {
        Path broken = TestMedia.write(dir.resolve("broken.mp4"), "not a video\n".getBytes());
        CliRun r = CliRun.of("detect", TestMedia.photo("astronaut.png").toString(), TestMedia.photo("coffee.png").toString(),
                TestMedia.astronautMp4().toString(), broken.toString(), "--detector", detector.toString(), "--json", "--frames", "4", "--assume-crop");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        ArrayNode lines = StrictJson.mapper().createArrayNode();
        r.out().lines().filter(l -> !l.isBlank()).forEach(l -> lines.add(StrictJson.parse(l, "line")));
        check("detect.json", lines);

        Path out = dir.resolve("explained");
        CliRun e = CliRun.of("detect", TestMedia.photo("astronaut.png").toString(), "--detector", detector.toString(), "--json", "--assume-crop",
                "--explain", "--explain-top", "1", "--out", out.toString());
        assertThat(e.exitCode()).as(e.err()).isZero();
        check("detect-explain.json", StrictJson.parse(e.out().strip(), "line"));
        check("detect-report.json", StrictJson.read(out.resolve("report.json")));
    }

    @Test
    void evalAndMetricsJsonAreAsPinned() throws Exception {
        Path out = dir.resolve("eval");
        CliRun r = CliRun.of("eval", "--detector", detector.toString(), "--test", dir.resolve("list.csv").toString(), "--root",
                dir.resolve("faces").toString(), "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        check("eval-metrics.json", StrictJson.read(out.resolve("metrics.json")));
        CliRun m = CliRun.of("metrics", "--scores", out.resolve("scores.csv").toString(), "--json", "--bootstrap", "50", "--seed", "3");
        assertThat(m.exitCode()).as(m.err()).isZero();
        check("metrics.json", StrictJson.parse(m.out(), "metrics output"));
    }

    private static void check(String name, JsonNode actual) throws IOException {
        JsonNode normalised = normalise(actual.deepCopy());
        Path pinned = Path.of("src/test/resources/pinned").resolve(name);
        if (Boolean.getBoolean("unmask.pin.record")) {
            Files.writeString(pinned, StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(normalised) + "\n");
            return;
        }
        assertThat(pinned).as("pinned output (record with -Dunmask.pin.record=true)").exists();
        compare(StrictJson.read(pinned), normalised, name);
    }

    /** Paths relative to the folders they came from; times dropped. */
    private static JsonNode normalise(JsonNode n) {
        if (n instanceof ObjectNode o) {
            VOLATILE.forEach(o::remove);
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                e.setValue(normalise(e.getValue()));
            }
            return o;
        }
        if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, normalise(a.get(i)));
            }
            return a;
        }
        if (n.isTextual()) {
            String s = n.asText().replace(dir.toAbsolutePath().toString(), "$DIR")
                    .replace(TestMedia.photo("astronaut.png").getParent().toAbsolutePath().toString(), "$PHOTOS")
                    .replace(TestMedia.astronautMp4().getParent().toAbsolutePath().toString(), "$VIDEOS");
            return StrictJson.mapper().getNodeFactory().textNode(s);
        }
        return n;
    }

    static void compare(JsonNode expected, JsonNode actual, String where) {
        if (expected.isObject()) {
            assertThat(actual.isObject()).as(where + " is an object").isTrue();
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                assertThat(actual.has(k)).as(where + "." + k + " is kept").isTrue();
                compare(expected.get(k), actual.get(k), where + "." + k);
            }
            for (Iterator<String> it = actual.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                assertThat(expected.has(k) || ADDED.contains(k)).as(where + "." + k + " is new and not listed as added").isTrue();
            }
        } else if (expected.isArray()) {
            assertThat(actual.isArray() && actual.size() == expected.size()).as(where + " has " + expected.size() + " elements").isTrue();
            for (int i = 0; i < expected.size(); i++) {
                compare(expected.get(i), actual.get(i), where + "[" + i + "]");
            }
        } else if (expected.isNumber()) {
            assertThat(actual.isNumber()).as(where + " is a number: " + actual).isTrue();
            if (Math.abs(expected.asDouble() - actual.asDouble()) > 1e-4 * Math.max(1, Math.abs(expected.asDouble()))) {
                fail(where + ": " + actual + " where " + expected + " was pinned");
            }
        } else {
            assertThat(actual).as(where).isEqualTo(expected);
        }
    }
}
