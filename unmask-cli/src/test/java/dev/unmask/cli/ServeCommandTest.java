package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.api.TinyDetectors;
import dev.unmask.media.TestMedia;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        return TinyDetectors.train(dir, "tiny.unmask");
    }
}
