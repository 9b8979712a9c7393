package dev.unmask.cli;

import dev.unmask.api.FileCheck;
import dev.unmask.examples.CheckOneFile;
import dev.unmask.media.detect.Verdict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.hub.HubSettings;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * unmask demo end to end with small settings: sample data from the public-domain photos, sample
 * videos made with ffmpeg, a detector trained with Approach 2, detect --explain on the samples.
 * With this little training the fake sample must still score above the real one and the
 * overlays must put more heat on the swapped region than a uniform map would (the demo knows
 * where it swapped); the default settings give wider margins (see the README).
 */
class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void theDemoTrainsADetectorAndExplainsItsVerdictsOnSampleVideos() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        TestMedia.photo("astronaut.png");
        Path out = dir.resolve("demo");
        String[] args = {"demo", "--out", out.toString(), "--train-frames", "60", "--epochs", "4", "--frames", "8"};
        CliRun r = CliRun.of(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Report:     " + out.resolve("detect/report.json")).contains("random weights");
        assertThat(r.err()).contains("random initial weights");

        Path detector = out.resolve("detector.unmask");
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, null, m)) {
            assertThat(d.manifest().path("approach").asText()).isEqualTo("finetune");
            assertThat(d.manifest().path("crop_contract").path("detector").asText()).startsWith("blazeface-full-range:sha256:");
        }
        JsonNode report = StrictJson.read(out.resolve("detect/report.json"));
        JsonNode files = report.path("files");
        assertThat(files).hasSize(3);
        JsonNode fake = files.get(0);
        JsonNode real = files.get(1);
        assertThat(fake.path("path").asText()).endsWith("astronaut_fake.mp4");
        assertThat(real.path("path").asText()).endsWith("astronaut_real.mp4");
        assertThat(fake.path("frames").asInt()).isEqualTo(8);
        assertThat(fake.path("frames_with_faces").asInt()).isEqualTo(8);
        assertThat(fake.path("score").asDouble()).isGreaterThan(real.path("score").asDouble());
        assertThat(files.get(2).path("verdict").asText()).isEqualTo("no_face");
        for (JsonNode f : new JsonNode[] {fake, real}) {
            assertThat(f.path("explanation").path("method").asText()).isEqualTo("cls-attention");
            assertThat(f.path("explanation").path("overlays")).hasSize(3);
            for (JsonNode o : f.path("explanation").path("overlays")) {
                assertThat(ImageIO.read(Path.of(o.path("file").asText()).toFile())).isNotNull();
            }
            assertThat(ImageIO.read(Path.of(f.path("explanation").path("contact_sheet").asText()).toFile())).isNotNull();
        }
        // Fakes made from a real frame have video ids of their own: no id holds both labels.
        for (String split : new String[] {"train", "val"}) {
            Map<String, Set<Integer>> labels = new HashMap<>();
            Datalist.read(out.resolve("data/" + split + ".csv"), out.resolve("data")).items()
                    .forEach(i -> labels.computeIfAbsent(i.video(), k -> new HashSet<>()).add(i.label()));
            assertThat(labels.values()).as(split).allSatisfy(l -> assertThat(l).hasSize(1));
        }
        JsonNode demo = StrictJson.read(out.resolve("demo.json"));
        assertThat(demo.path("heat_in_swapped_region").asDouble()).isGreaterThan(demo.path("swapped_region_share").asDouble());
        assertThat(demo.path("random_backbone").asBoolean()).isTrue();

        // The README's Java example, on the demo's detector and its fake sample: the verdict detect gives.
        Path fakeVideo = Path.of(fake.path("path").asText());
        FileCheck example = CheckOneFile.check(detector, fakeVideo);
        CliRun cli = CliRun.of("detect", fakeVideo.toString(), "--detector", detector.toString(), "--json");
        assertThat(cli.exitCode()).as(cli.err()).isZero();
        JsonNode line = StrictJson.parse(cli.out().strip(), "detect line");
        assertThat(example.verdict()).isEqualTo(Verdict.FAKE);
        assertThat(example.verdict().id()).isEqualTo(line.path("verdict").asText());
        assertThat(example.score()).isCloseTo(line.path("score").asDouble(), within(1e-6));
        assertThat(example.frames()).isEqualTo(32);

        // Run again into its own folder: it starts over rather than mixing runs.
        Files.writeString(out.resolve("data/stale.txt"), "from before");
        CliRun again = CliRun.of(args);
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(out.resolve("data/stale.txt")).doesNotExist();
    }

    @Test
    void itRefusesAFolderItDidNotMakeAndSaysWhereThePhotosComeFrom() throws Exception {
        Path foreign = dir.resolve("mine");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("thesis.tex"), "keep me");
        TestMedia.photo("astronaut.png");
        CliRun r = CliRun.of("demo", "--out", foreign.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("did not make");
        assertThat(foreign.resolve("thesis.tex")).hasContent("keep me");

        String before = System.getProperty(HubSettings.HOME_PROPERTY);
        System.setProperty(HubSettings.HOME_PROPERTY, dir.resolve("empty-home").toString());
        try {
            CliRun noPhotos = CliRun.of("demo", "--out", dir.resolve("d2").toString());
            assertThat(noPhotos.exitCode()).isEqualTo(2);
            assertThat(noPhotos.errLines()).isEqualTo(1);
            assertThat(noPhotos.err()).contains("bin/setup-test-data");
        } finally {
            if (before == null) {
                System.clearProperty(HubSettings.HOME_PROPERTY);
            } else {
                System.setProperty(HubSettings.HOME_PROPERTY, before);
            }
        }
    }
}
