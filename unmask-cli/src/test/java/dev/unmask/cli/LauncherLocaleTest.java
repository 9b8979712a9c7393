package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/unmask as a user runs it where no locale is set (a bare container, cron, {@code su - user}):
 * Java 17 then decodes file names as ASCII, so the launcher sets a UTF-8 locale, and the JVM
 * started some other way says in one line why non-ASCII names will fail.
 *
 * <p>The launcher runs from a copy of the packaged layout ({@code unmask-cli/target/unmask-cli-*.jar}
 * and {@code target/lib/}) made from this test's class path, since {@code mvn test} packages nothing.
 */
class LauncherLocaleTest {
    @TempDir
    static Path tmp;
    static Path launcher;
    static Path scores;

    @BeforeAll
    static void stageThePackagedLayout() throws IOException {
        launcher = PackagedLayout.stage(tmp.resolve("unmask"), false, "unmask").launcher();

        scores = tmp.resolve("vidéo über.csv");
        Files.writeString(scores, "path,label,score\na.png,0,0.1\nb.png,0,0.4\nc.png,1,0.35\nd.png,1,0.8\n", StandardCharsets.UTF_8);
    }

    /** The environment of a process started with no locale at all. */
    static Map<String, String> noLocale(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.equals("LANG") || k.equals("LANGUAGE") || k.startsWith("LC_"));
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("OPT_OUT_TRACKING", "true");
        return env;
    }

    record Run(int exitCode, String out, String err) {}

    static Run run(ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theLauncherOpensANonAsciiFileNameWithNoLocaleSet() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", launcher.toString(), "metrics", "--scores", scores.toString());
        noLocale(pb);
        Run r = run(pb);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("AUC");
        assertThat(r.err()).doesNotContain("warning");
    }

    @Test
    void aJvmWithoutAUtf8LocaleSaysSoInOneLine() throws Exception {
        Path ascii = tmp.resolve("scores.csv");
        Files.copy(scores, ascii);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "dev.unmask.cli.Main", "metrics", "--scores",
                ascii.toString());
        noLocale(pb);
        Run r = run(pb);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err().lines().filter(l -> l.contains("file names are decoded as"))).hasSize(1)
                .allMatch(l -> l.startsWith("unmask: warning: ") && l.contains("LC_ALL=C.UTF-8"));
    }

    @Test
    void aUtf8JvmSaysNothing() {
        // This JVM runs under the locale surefire sets (C.UTF-8), as bin/unmask's do.
        CliRun r = CliRun.of("metrics", "--scores", scores.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("warning");
    }

}
