package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.TestMedia;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * unmask bench startup and the class-data archive, through bin/unmask as a user runs it, from a
 * copy of the packaged layout made from this test's class path ({@code mvn test} packages
 * nothing): the archive made by bin/make-class-archive is used, and one that is damaged, cut
 * short or made for other jars is ignored without a word.
 */
class StartupBenchTest {
    @TempDir
    static Path tmp;
    static Path launcher;
    static Path jar;
    static Path archive;
    static Path image;
    static Path detector;

    @BeforeAll
    static void stage() throws Exception {
        TestMedia.requireBlazeFaceModel();
        PackagedLayout layout = PackagedLayout.stage(tmp.resolve("unmask"), true, "unmask", "make-class-archive");
        Path staged = layout.root();
        launcher = layout.launcher();
        jar = layout.jar();
        archive = tmp.resolve("archives/unmask-test.jsa");
        Run made = run(Map.of(), staged.resolve("bin/make-class-archive").toString(), archive.toString());
        assertThat(made.exitCode()).as(made.out()).isZero();
        assertThat(archive).isRegularFile();
        assertThat(Files.readString(archive.resolveSibling("unmask-test.jsa.size")).trim()).isEqualTo(Long.toString(Files.size(archive)));
        BufferedImage photo = ImageIO.read(TestMedia.photo("astronaut.png").toFile());
        BufferedImage rgb = new BufferedImage(photo.getWidth(), photo.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        rgb.getGraphics().drawImage(photo, 0, 0, null);
        image = tmp.resolve("astronaut.jpg");
        ImageIO.write(rgb, "jpg", image.toFile());
        detector = DetectBenchmark.defaultDetector();
    }

    record Run(int exitCode, String out, String err) {}

    static Run run(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator
                + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    static Run bench(Path archiveFile, String runs) throws Exception {
        return run(Map.of("UNMASK_CDS", "use", "UNMASK_CLASS_ARCHIVE", archiveFile.toString()), "bash", launcher.toString(), "bench", "startup",
                "--runs", runs, "--detector", detector.toString(), "--image", image.toString());
    }

    @Test
    void benchStartupPrintsEachStageAndSaysTheArchiveWasUsed() throws Exception {
        Run r = bench(archive, "1");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        for (String stage : List.of("jvm", "command_tree", "libtorch", "ffmpeg", "opencv", "blazeface", "detector_load", "decode",
                "first_check", "second_check", "total")) {
            assertThat(r.out()).containsPattern("(?m)^  " + stage + " +\\d+\\.\\d{3} s");
        }
        assertThat(r.out()).contains("class-data archive used: yes, " + archive);
        assertThat(r.out()).containsPattern("unmask --version: median \\d+\\.\\d{3} s, fastest \\d+\\.\\d{3} s of 1 runs");
        assertThat(r.out()).containsPattern("unmask detect .*astronaut.jpg .*: median \\d+\\.\\d{3} s");
        assertThat(r.err()).doesNotContain("warning").doesNotContain("cds");
    }

    @Test
    void aDamagedArchiveIsIgnoredSilently() throws Exception {
        // The same size (so the launcher passes it on), 64 KiB of its middle overwritten: the JVM's checksum fails.
        Path damaged = copy("damaged");
        try (RandomAccessFile f = new RandomAccessFile(damaged.toFile(), "rw")) {
            f.seek(f.length() / 2);
            f.write(new byte[64 << 10]);
        }
        Run r = bench(damaged, "0");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("class-data archive used: no");
        assertThat(r.err()).doesNotContain("warning").doesNotContain("cds").doesNotContain("shared archive");
    }

    @Test
    void anArchiveCutShortIsNotUsedAndTheCommandRunsAsBefore() throws Exception {
        // The JVM crashes on a truncated archive rather than falling back: the launcher checks the size it was made with.
        Path cut = copy("cut");
        try (RandomAccessFile f = new RandomAccessFile(cut.toFile(), "rw")) {
            f.setLength(f.length() / 3);
        }
        Run r = run(Map.of("UNMASK_CDS", "use", "UNMASK_CLASS_ARCHIVE", cut.toString()), "bash", launcher.toString(), "--version");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("unmask ");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void anArchiveMadeForOtherJarsIsIgnoredSilently() throws Exception {
        Path other = copy("other");
        FileTime was = Files.getLastModifiedTime(jar);
        try {
            // A rebuilt jar: the archive's record of the class path no longer matches.
            Files.setLastModifiedTime(jar, FileTime.fromMillis(was.toMillis() + 60_000));
            Run r = bench(other, "0");
            assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
            assertThat(r.out()).contains("class-data archive used: no");
            assertThat(r.err()).doesNotContain("warning").doesNotContain("cds");
        } finally {
            Files.setLastModifiedTime(jar, was);
        }
    }

    static Path copy(String name) throws IOException {
        Path p = tmp.resolve("archives/unmask-" + name + ".jsa");
        Files.copy(archive, p);
        p.toFile().setWritable(true);
        Files.writeString(tmp.resolve("archives/unmask-" + name + ".jsa.size"), Long.toString(Files.size(p)));
        return p;
    }
}
