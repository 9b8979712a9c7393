package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.api.TrainReport;
import dev.unmask.api.TrainRequest;
import dev.unmask.api.Training;
import dev.unmask.core.Golden;
import dev.unmask.core.train.Progress;
import dev.unmask.media.TestMedia;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code unmask serve} as an operator runs it: options refused with one line and exit 2 before a
 * model is loaded, and a real server in a fresh JVM that answers with its token, and deletes its
 * uploads folder when it is stopped (SIGTERM).
 */
class ServeCommandTest {
    static final String TOKEN = "serve-command-test-token-42";
    @TempDir
    Path dir;

    @Test
    void badOptionsAreOneLineAndExit2() throws Exception {
        Path detector = dir.resolve("missing.unmask");
        Path shortToken = Files.writeString(dir.resolve("short"), "abc\n");
        String[][] cases = {
            {"serve", "--detector", detector.toString(), "--bind", "0.0.0.0"},
            {"serve", "--detector", detector.toString(), "--max-upload", "12XB"},
            {"serve", "--detector", detector.toString(), "--timeout", "soon"},
            {"serve", "--detector", detector.toString(), "--retention", "0s"},
            {"serve", "--detector", detector.toString(), "--token-file", dir.resolve("nope").toString()},
            {"serve", "--detector", detector.toString(), "--token-file", shortToken.toString()},
            {"serve", "--detector", detector.toString(), "--workers", "0"},
            {"serve", "--detector", detector.toString(), "--port", "70000"},
            {"serve", "--detector", detector.toString()},
        };
        for (String[] args : cases) {
            CliRun r = CliRun.of(args);
            assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
            assertThat(r.errLines()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("unmask: ").doesNotContain("Exception");
        }
        assertThat(CliRun.of("serve", "--detector", detector.toString(), "--bind", "0.0.0.0").err()).contains("--token-file");
    }

    @Test
    void aServerInAFreshJvmAnswersWithItsTokenAndCleansUpWhenStopped() throws Exception {
        Path detector = trainTinyDetector();
        Path token = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Path log = dir.resolve("serve.log");
        Process p = FreshJvm.start(log, "serve", "--detector", detector.toString(), "--assume-crop", "--port", "0", "--token-file", token.toString());
        try {
            Matcher serving = null;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < end && p.isAlive()) {
                Matcher m = Pattern.compile("serving tiny\\.unmask on http://127\\.0\\.0\\.1:(\\d+)/ .*uploads in (\\S+)\\)").matcher(Files.readString(log));
                if (m.find()) {
                    serving = m;
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(serving).as(Files.readString(log)).isNotNull();
            String base = "http://127.0.0.1:" + serving.group(1);
            Path uploads = Path.of(serving.group(2));
            assertThat(uploads).isDirectory();
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> without = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/detector")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(without.statusCode()).isEqualTo(401);
            HttpResponse<String> with = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/detector")).header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(with.statusCode()).isEqualTo(200);
            assertThat(with.body()).contains("\"approach\":\"probe\"", "\"file\":\"tiny.unmask\"");
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(uploads).doesNotExist();
        } finally {
            p.destroyForcibly();
        }
    }

    private Path trainTinyDetector() throws Exception {
        TestMedia.requireBlazeFaceModel();
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        Path root = dir.resolve("faces");
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            boolean fake = i % 2 == 1;
            BufferedImage img = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 56; y++) {
                for (int x = 0; x < 56; x++) {
                    int v = Math.min(255, r.nextInt(160) + (fake ? 80 : 0));
                    img.setRGB(x, y, v << 16 | v << 8 | v);
                }
            }
            String rel = (fake ? "fake/" : "real/") + i + ".png";
            Files.createDirectories(root.resolve(rel).getParent());
            ImageIO.write(img, "png", root.resolve(rel).toFile());
            list.append(rel).append(',').append(fake ? 1 : 0).append('\n');
        }
        Files.writeString(dir.resolve("list.csv"), list.toString());
        TrainRequest base = TrainRequest.of(backbone.toString(), dir.resolve("list.csv"), dir.resolve("list.csv"), root, dir.resolve("tiny.unmask"));
        TrainRequest request = new TrainRequest(base.backbone(), "probe", null, "linear", 1024, 0f, 1, false, null, null, 56, 2, 8, null, null,
                10, 3, base.train(), base.val(), base.root(), false, base.out(), dir.resolve("cache"), null, false, "ServeCommandTest");
        TrainReport report = Training.run(request, Progress.SILENT);
        return Path.of(report.detector());
    }
}
