package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.TestMedia;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An extraction killed (SIGKILL, no chance to clean up) halfway, then run again: it finishes,
 * redoes no finished video, and no file under a final name is ever incomplete.
 */
class ExtractResumeTest {
    static final int VIDEOS = 12;

    @TempDir
    Path tmp;

    @BeforeAll
    static void needs() {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
    }

    @Test
    void killedHalfwayAndRestartedItFinishesWithoutRedoingWorkOrTornFiles() throws Exception {
        Path root = tmp.resolve("data");
        for (int i = 0; i < VIDEOS; i++) {
            Path v = root.resolve((i % 2 == 0 ? "real/" : "fake/") + "clip" + i + ".mp4");
            Files.createDirectories(v.getParent());
            Files.copy(TestMedia.astronautMp4(), v);
        }
        Path out = tmp.resolve("out");
        String[] args = {"extract", root.toString(), "--out", out.toString(), "--frames", "32", "--workers", "1"};

        Process p = launch(args);
        Path done = out.resolve(".extract/done");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (recordsIn(done).size() < 3 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        Map<Path, FileTime> finishedBefore = recordsIn(done);
        assertThat(finishedBefore.size()).as("killed halfway").isBetween(3, VIDEOS - 1);
        assertNoTornFile(out);

        // The crops of finished videos, with their times, to prove they are not rewritten.
        Map<Path, FileTime> cropsBefore = new TreeMap<>();
        for (Path record : finishedBefore.keySet()) {
            String key = done.relativize(record).toString().replaceAll("\\.json$", "");
            for (Path crop : list(out.resolve("faces").resolve(key))) {
                cropsBefore.put(crop, Files.getLastModifiedTime(crop));
            }
        }
        assertThat(cropsBefore).hasSize(finishedBefore.size() * 32);

        CliRun r = CliRun.of(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("videos: " + VIDEOS + " (" + finishedBefore.size() + " done before, " + (VIDEOS - finishedBefore.size())
                + " now): " + VIDEOS + " with faces");
        for (var e : finishedBefore.entrySet()) {
            assertThat(Files.getLastModifiedTime(e.getKey())).as("record of %s", e.getKey()).isEqualTo(e.getValue());
        }
        for (var e : cropsBefore.entrySet()) {
            assertThat(Files.getLastModifiedTime(e.getKey())).as("crop %s", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(recordsIn(done)).hasSize(VIDEOS);
        assertNoTornFile(out);
        assertThat(list(out).stream().filter(f -> f.getFileName().toString().endsWith(".tmp"))).as("temporaries left").isEmpty();
        List<String> lines = Files.readAllLines(out.resolve("all.csv"));
        assertThat(lines).hasSize(1 + VIDEOS * 32);
        for (String line : lines.subList(1, lines.size())) {
            assertThat(out.resolve(line.split(",")[0])).isRegularFile();
        }
    }

    /** Runs the CLI in a JVM of its own, with this test's class path, so that it can be killed. */
    static Process launch(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static Map<Path, FileTime> recordsIn(Path done) throws IOException {
        Map<Path, FileTime> m = new TreeMap<>();
        for (Path f : list(done)) {
            if (f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().startsWith(".")) {
                m.put(f, Files.getLastModifiedTime(f));
            }
        }
        return m;
    }

    /** Every PNG under its final name decodes whole; every record is complete JSON. */
    static void assertNoTornFile(Path out) throws IOException {
        for (Path f : list(out)) {
            String n = f.getFileName().toString();
            if (n.startsWith(".")) {
                continue;
            }
            if (n.endsWith(".png")) {
                BufferedImage img = ImageIO.read(f.toFile());
                assertThat(img).as("%s decodes", f).isNotNull();
                assertThat(img.getWidth()).isEqualTo(224);
            } else if (n.endsWith(".json")) {
                dev.unmask.core.io.StrictJson.read(f);
            }
        }
    }

    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
