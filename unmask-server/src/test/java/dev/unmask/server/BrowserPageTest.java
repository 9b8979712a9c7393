package dev.unmask.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.TestMedia;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web page in headless Chromium at 390×844 (a phone), driven by playwright-core from
 * src/test/js/page-test.mjs: a video is uploaded, the verdict, chart and an overlay appear, axe-core
 * finds no serious or critical violation, and the screenshot is kept in target/browser/.
 * Chromium and the npm packages are installed by bin/test; without them the test is skipped,
 * except in CI where that is a failure.
 */
class BrowserPageTest {
    @TempDir
    Path dir;

    @Test
    void aVideoUploadedOnAPhoneSizedPageShowsVerdictChartAndOverlayAccessibly() throws Exception {
        Path js = Path.of("src/test/js").toAbsolutePath();
        Path chromium = Path.of("/usr/bin/chromium");
        boolean ready = Files.isExecutable(chromium) && Files.isDirectory(js.resolve("node_modules/playwright-core"))
                && Files.isDirectory(js.resolve("node_modules/axe-core"));
        if (!ready && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("chromium or src/test/js/node_modules is missing (bin/test installs them)");
        }
        Assumptions.assumeTrue(ready, "chromium or src/test/js/node_modules missing: run bin/test once as root");
        Path screenshot = Files.createDirectories(Path.of("target/browser")).resolve("page-390x844.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        try (UnmaskServer server = UnmaskServer.start(TinyDetector.get(), new UnmaskServer.Settings("127.0.0.1", 0, 1, 50L << 20, null, null, 4,
                Duration.ofSeconds(120), Duration.ofHours(1), dir.resolve("work")))) {
            ProcessBuilder pb = new ProcessBuilder("node", "page-test.mjs").directory(js.toFile()).redirectErrorStream(true);
            pb.environment().put("UNMASK_URL", "http://127.0.0.1:" + server.port());
            pb.environment().put("UNMASK_VIDEO", TestMedia.astronautMp4().toString());
            pb.environment().put("UNMASK_SCREENSHOT", screenshot.toString());
            pb.environment().put("CHROMIUM", chromium.toString());
            Process p = pb.start();
            boolean ended = p.waitFor(150, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ended).as("the browser run did not end in 150 s: " + out).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("\"failures\":[]");
        }
        assertThat(screenshot).isRegularFile();
        assertThat(Files.size(screenshot)).isGreaterThan(10_000);
    }
}
