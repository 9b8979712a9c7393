package dev.unmask.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import dev.unmask.core.UserError;
import dev.unmask.media.TestMedia;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API against a real server on 127.0.0.1 (ephemeral port) over a real, tiny detector:
 * every endpoint, every refusal (401, 403, 404, 413, 415, 429), a timeout cancelling a check, and
 * an image and a video checked end to end with the same verdict and scores the library gives.
 */
class ServerApiTest {
    static final String TOKEN = "test-token-0123456789abcdef";
    @TempDir
    static Path dir;
    static Detector detector;
    static UnmaskServer open;
    static Http http;
    static Path allowed;
    static Path outside;

    @BeforeAll
    static void start() throws Exception {
        detector = TinyDetector.get();
        allowed = Files.createDirectories(dir.resolve("allowed"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.copy(TestMedia.photo("astronaut.png"), allowed.resolve("astronaut.png"));
        Files.copy(TestMedia.photo("astronaut.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(allowed.resolve("link.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(allowed.resolve("linkdir"), outside);
        Files.writeString(allowed.resolve("notes.txt"), "not media\n");
        open = UnmaskServer.start(detector, settings(2, 4, Duration.ofSeconds(120), null, allowed, 50L << 20, "open"));
        http = new Http(open, null);
    }

    static UnmaskServer.Settings settings(int workers, int queue, Duration timeout, String token, Path allow, long maxUpload, String work) {
        return new UnmaskServer.Settings("127.0.0.1", 0, workers, maxUpload, token, allow, queue, timeout, Duration.ofHours(1), dir.resolve(work));
    }

    @AfterAll
    static void stop() {
        if (open != null) {
            open.close();
        }
    }

    @Test
    void anImageIsCheckedEndToEndWithTheLibrarysVerdictAndOverlays() throws Exception {
        Path photo = TestMedia.photo("astronaut.png");
        HttpResponse<String> accepted = http.upload(photo);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode a = Http.json(accepted);
        assertThat(a.get("status").asText()).isIn("queued", "running");
        assertThat(a.get("kind").asText()).isEqualTo("image");
        assertThat(accepted.headers().firstValue("Location")).contains("/v1/checks/" + a.get("id").asText());

        JsonNode done = http.await(a.get("id").asText());
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("done");
        JsonNode report = done.get("report");
        FileCheck library = detector.check(photo, CheckOptions.defaults());
        assertThat(report.get("verdict").asText()).isEqualTo(library.verdict().toString().toLowerCase(java.util.Locale.ROOT));
        assertThat(report.get("score").asDouble()).isCloseTo(library.score(), Assertions.within(1e-6));
        assertThat(report.get("threshold").asDouble()).isEqualTo(detector.threshold());
        assertThat(report.get("path").asText()).isEqualTo("astronaut.png");
        assertThat(done.toString()).doesNotContain(open.workDir().toString());
        schema().validate(report).forEach(m -> Assertions.fail("fileCheck schema: " + m));

        JsonNode overlays = report.get("explanation").get("overlays");
        assertThat(overlays.size()).isBetween(1, 3);
        HttpResponse<byte[]> png = http.getBytes(overlays.get(0).get("file").asText());
        assertThat(png.statusCode()).isEqualTo(200);
        assertThat(png.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("image/png"));
        assertThat(MediaSniffer.sniff(png.body(), png.body().length).extension()).isEqualTo("png");
        assertThat(http.get("/v1/checks/" + a.get("id").asText() + "/overlays/7.png").statusCode()).isEqualTo(404);
        assertThat(http.get("/v1/checks/" + a.get("id").asText() + "/overlays/..%2F..%2Fetc.png").statusCode()).isEqualTo(404);

        String metrics = http.get("/metrics").body();
        assertThat(metrics).contains("unmask_checks_total{outcome=\"" + library.verdict().toString().toLowerCase(java.util.Locale.ROOT) + "\"}", "unmask_queue_length 0",
                "unmask_check_seconds_bucket{le=\"+Inf\"}", "# TYPE unmask_check_seconds histogram");
        assertThat(metrics).doesNotContain("unmask_check_seconds_count 0\n");
    }

    @Test
    void aVideoIsCheckedEndToEndAndDeletingItRemovesEverything() throws Exception {
        HttpResponse<String> accepted = http.upload(TestMedia.astronautMp4());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = Http.json(accepted).get("id").asText();
        assertThat(Http.json(accepted).get("kind").asText()).isEqualTo("video");
        JsonNode done = http.await(id);
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("done");
        JsonNode report = done.get("report");
        assertThat(report.get("verdict").asText()).isIn("fake", "real");
        assertThat(report.get("frames").asInt()).isGreaterThan(1);
        List<Double> seconds = new ArrayList<>();
        report.get("frame_scores").forEach(f -> seconds.add(f.get("seconds").asDouble()));
        assertThat(seconds).hasSizeGreaterThan(1).isSorted();
        schema().validate(report).forEach(m -> Assertions.fail("fileCheck schema: " + m));
        assertThat(open.workDir().resolve(id)).isDirectory();

        assertThat(http.delete("/v1/checks/" + id).statusCode()).isEqualTo(204);
        assertThat(http.get("/v1/checks/" + id).statusCode()).isEqualTo(404);
        assertThat(http.delete("/v1/checks/" + id).statusCode()).isEqualTo(404);
        assertThat(open.workDir().resolve(id)).doesNotExist();
    }

    @Test
    void aPhotoWithoutAFaceIsDoneWithNoFace() throws Exception {
        JsonNode done = http.await(Http.json(http.upload(TestMedia.photo("coffee.png"))).get("id").asText());
        assertThat(done.get("report").get("verdict").asText()).isEqualTo("no_face");
        assertThat(done.get("report").get("score").isNull()).isTrue();
    }

    @Test
    void contentThatIsNeitherImageNorVideoIs415WhateverItsName() throws Exception {
        HttpResponse<String> text = http.upload("holiday.mp4", "just some text, not a video at all\n".repeat(20).getBytes(StandardCharsets.UTF_8));
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(Http.json(text).get("error").asText()).contains("neither an image nor a video");
        byte[] elf = new byte[600];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        assertThat(http.upload("photo.png", elf).statusCode()).isEqualTo(415);
        HttpResponse<String> plain = Http.CLIENT.send(http.request("/v1/checks").header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(415);
        assertThat(Path.of(open.workDir().toString(), ".parts").toFile().list()).isEmpty();
        assertThat(http.get("/metrics").body()).containsPattern("unmask_rejected_total\\{status=\"415\"\\} [1-9]");
    }

    @Test
    void uploadsOverTheLimitAre413BeforeAndWhileReading() throws Exception {
        try (UnmaskServer small = UnmaskServer.start(detector, settings(1, 2, Duration.ofSeconds(60), null, null, 100_000, "small"))) {
            Http h = new Http(small, null);
            // Declared far over the limit: refused before a byte of the body is read.
            HttpResponse<String> big = h.upload(TestMedia.photo("astronaut.png"));
            assertThat(big.statusCode()).as(big.body()).isEqualTo(413);
            // Within the envelope's slack by its length, over the limit by its file: refused while it is written.
            byte[] photo = Files.readAllBytes(TestMedia.photo("camera.png"));
            HttpResponse<String> over = h.upload("camera.png", java.util.Arrays.copyOf(photo, 140_000));
            assertThat(over.statusCode()).as(over.body()).isEqualTo(413);
            assertThat(small.workDir().resolve(".parts").toFile().list()).isEmpty();
            assertThat(small.workDir().toFile().list()).containsExactly(".parts");
        }
    }

    @Test
    void anUploadStreamsToDiskWhileItArrives() throws Exception {
        // A chunked upload (no declared length) that stops half-way until its bytes are seen on disk:
        // were the server holding the body in memory, nothing would appear and the wait would fail.
        int half = 8 << 20;
        java.util.concurrent.CountDownLatch seen = new java.util.concurrent.CountDownLatch(1);
        byte[] head = Http.multipart("big.png", new byte[0]);
        byte[] start = java.util.Arrays.copyOf(head, head.length - ("\r\n--unmask-test-boundary-7f3a--\r\n").length());
        byte[] png = Files.readAllBytes(TestMedia.photo("camera.png"));
        java.io.InputStream body = new java.io.SequenceInputStream(java.util.Collections.enumeration(List.of(
                new java.io.ByteArrayInputStream(start), new java.io.ByteArrayInputStream(png), new java.io.ByteArrayInputStream(new byte[half]),
                new java.io.InputStream() {
                    boolean waited;

                    @Override
                    public int read() throws java.io.IOException {
                        if (!waited) {
                            waited = true;
                            try {
                                seen.await(20, java.util.concurrent.TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new java.io.InterruptedIOException();
                            }
                        }
                        return -1;
                    }
                },
                new java.io.ByteArrayInputStream("\r\n--unmask-test-boundary-7f3a--\r\n".getBytes(StandardCharsets.US_ASCII)))));
        var sent = Http.CLIENT.sendAsync(http.request("/v1/checks").header("Content-Type", "multipart/form-data; boundary=unmask-test-boundary-7f3a")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(), HttpResponse.BodyHandlers.ofString());
        Path parts = open.workDir().resolve(".parts");
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long onDisk = 0;
        while (onDisk < half / 2 && System.nanoTime() < end) {
            try (var files = Files.list(parts)) {
                onDisk = files.mapToLong(f -> f.toFile().length()).sum();
            }
            Thread.sleep(20);
        }
        seen.countDown();
        assertThat(onDisk).as("bytes of the upload on disk before it ended").isGreaterThanOrEqualTo(half / 2);
        HttpResponse<String> r = sent.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        http.delete("/v1/checks/" + Http.json(r).get("id").asText());
        assertThat(parts.toFile().list()).isEmpty();
    }

    @Test
    void unknownChecksAre404() throws Exception {
        assertThat(http.get("/v1/checks/nope").statusCode()).isEqualTo(404);
        assertThat(http.delete("/v1/checks/nope").statusCode()).isEqualTo(404);
        assertThat(http.get("/v1/checks/nope/overlays/0.png").statusCode()).isEqualTo(404);
    }

    @Test
    void serviceEndpointsDescribeTheServerAndItsDetector() throws Exception {
        JsonNode health = Http.json(http.get("/healthz"));
        assertThat(health.get("status").asText()).isEqualTo("ok");
        assertThat(health.get("workers").asInt()).isEqualTo(2);
        JsonNode d = Http.json(http.get("/v1/detector"));
        assertThat(d.get("threshold").asDouble()).isEqualTo(detector.threshold());
        assertThat(d.get("approach").asText()).isEqualTo(detector.info().approach());
        assertThat(d.get("backbone").asText()).isEqualTo(detector.info().backbone());
        assertThat(d.get("file").asText()).isEqualTo("server.unmask");
        // Trained here, not imported: no source.
        assertThat(d.get("source").isNull()).isTrue();
        // The validation EER the threshold was chosen at, for the page's provenance panel.
        assertThat(d.get("validation_eer").asDouble()).isEqualTo(detector.model().spec().validation().get("eer").asDouble());
        HttpResponse<String> api = http.get("/v1/openapi.yaml");
        assertThat(api.statusCode()).isEqualTo(200);
        assertThat(api.body()).startsWith("openapi: 3.").contains("/v1/checks/{id}/overlays/{n}.png:", "\"429\":", "\"413\":", "\"415\":");
        HttpResponse<String> page = http.get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(c -> assertThat(c).contains("default-src 'self'"));
        assertThat(page.body()).contains("<script src=\"/app.js\"", "aria-live").doesNotContain("http://", "https://");
        // The SVG namespace is a name, not a fetch; nothing else may point off the server.
        assertThat(http.get("/app.js").body().replace("\"http://www.w3.org/2000/svg\"", "")).contains("XMLHttpRequest")
                .doesNotContain("http://", "https://", "//cdn");
        assertThat(http.get("/style.css").statusCode()).isEqualTo(200);
    }

    @Test
    void aLocalPathIsCheckedOnlyInsideTheAllowedFolder() throws Exception {
        HttpResponse<String> ok = http.postJson("{\"path\": \"astronaut.png\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
        JsonNode done = http.await(Http.json(ok).get("id").asText());
        assertThat(done.get("report").get("verdict").asText()).isIn("fake", "real");
        assertThat(done.get("name").asText()).isEqualTo("astronaut.png");
        for (String escape : List.of("../outside/secret.png", outside.resolve("secret.png").toString(), "link.png", "linkdir/secret.png",
                "./../allowed/../outside/secret.png")) {
            HttpResponse<String> r = http.postJson("{\"path\": \"" + escape + "\"}");
            assertThat(r.statusCode()).as(escape + ": " + r.body()).isEqualTo(403);
        }
        assertThat(http.postJson("{\"path\": \"notes.txt\"}").statusCode()).isEqualTo(415);
        assertThat(http.postJson("{\"path\": \"missing.png\"}").statusCode()).isEqualTo(404);
        assertThat(http.postJson("{\"path\": \".\"}").statusCode()).isEqualTo(403);
        assertThat(http.postJson("{\"file\": 1}").statusCode()).isEqualTo(400);
        assertThat(http.postJson("not json").statusCode()).isEqualTo(400);
        try (UnmaskServer uploadsOnly = UnmaskServer.start(detector, settings(1, 2, Duration.ofSeconds(60), null, null, 1 << 20, "uploads-only"))) {
            assertThat(new Http(uploadsOnly, null).postJson("{\"path\": \"astronaut.png\"}").statusCode()).isEqualTo(403);
        }
    }

    @Test
    void withATokenEveryV1CallNeedsIt() throws Exception {
        try (UnmaskServer locked = UnmaskServer.start(detector, settings(1, 2, Duration.ofSeconds(60), TOKEN, null, 1 << 20, "locked"))) {
            Http none = new Http(locked, null);
            Http wrong = new Http(locked, TOKEN.substring(1) + "x");
            Http right = new Http(locked, TOKEN);
            for (Http h : List.of(none, wrong)) {
                HttpResponse<String> r = h.get("/v1/detector");
                assertThat(r.statusCode()).isEqualTo(401);
                assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer");
                assertThat(h.upload(TestMedia.photo("camera.png")).statusCode()).isEqualTo(401);
                assertThat(h.get("/v1/checks/x").statusCode()).isEqualTo(401);
                assertThat(h.delete("/v1/checks/x").statusCode()).isEqualTo(401);
                assertThat(h.get("/v1/openapi.yaml").statusCode()).isEqualTo(401);
            }
            assertThat(right.get("/v1/detector").statusCode()).isEqualTo(200);
            assertThat(right.get("/v1/checks/x").statusCode()).isEqualTo(404);
            // The page, health and metrics carry nothing a client sent.
            assertThat(none.get("/healthz").statusCode()).isEqualTo(200);
            assertThat(none.get("/").statusCode()).isEqualTo(200);
            assertThat(none.get("/metrics").body()).containsPattern("unmask_rejected_total\\{status=\"401\"\\} [1-9]");
            assertThat(locked.workDir().toFile().list()).containsExactly(".parts");
        }
    }

    @Test
    void withoutATokenOnlyLoopbackIsServed() {
        Assertions.assertThatThrownBy(() -> UnmaskServer.start(detector, new UnmaskServer.Settings("0.0.0.0", 0, 1, 1 << 20, null, null, 1,
                Duration.ofSeconds(5), Duration.ofHours(1), dir.resolve("exposed")))).isInstanceOf(UserError.class).hasMessageContaining("--token-file");
    }

    @Test
    void aFullQueueIs429WithRetryAfterAndASlowCheckIsCancelledByTheTimeout() throws Exception {
        // One worker, one place in the queue, and checks cut off after 300 ms: a video takes longer.
        try (UnmaskServer busy = UnmaskServer.start(detector, settings(1, 1, Duration.ofMillis(300), null, null, 50L << 20, "busy"))) {
            Http h = new Http(busy, null);
            byte[] video = Files.readAllBytes(TestMedia.astronautMp4());
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(h.upload("clip" + i + ".mp4", video));
            }
            assertThat(answers.get(0).statusCode()).isEqualTo(202);
            HttpResponse<String> refused = answers.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow(
                    () -> new AssertionError("no 429 among " + answers.stream().map(HttpResponse::statusCode).toList()));
            assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(s -> assertThat(Integer.parseInt(s)).isBetween(1, 300));
            assertThat(Http.json(refused).get("error").asText()).contains("queue is full");

            JsonNode first = h.await(Http.json(answers.get(0)).get("id").asText());
            assertThat(first.get("status").asText()).isEqualTo("cancelled");
            assertThat(first.get("error").asText()).startsWith("timed out after 0.3 s");
            assertThat(first.get("report").isNull()).isTrue();
            assertThat(h.get("/metrics").body()).containsPattern("unmask_checks_total\\{outcome=\"timeout\"\\} [1-9]")
                    .containsPattern("unmask_rejected_total\\{status=\"429\"\\} [1-9]");
        }
        assertThat(dir.resolve("busy")).doesNotExist();
    }

    @Test
    void aQueuedCheckCanBeDeleted() throws Exception {
        try (UnmaskServer one = UnmaskServer.start(detector, settings(1, 4, Duration.ofSeconds(60), null, null, 50L << 20, "one"))) {
            Http h = new Http(one, null);
            byte[] video = Files.readAllBytes(TestMedia.astronautMp4());
            String running = Http.json(h.upload("a.mp4", video)).get("id").asText();
            JsonNode queued = Http.json(h.upload("b.mp4", video));
            assertThat(queued.get("status").asText()).isEqualTo("queued");
            assertThat(queued.get("progress").get("queue_position").asInt()).isEqualTo(1);
            String id = queued.get("id").asText();
            assertThat(h.delete("/v1/checks/" + id).statusCode()).isEqualTo(204);
            assertThat(one.workDir().resolve(id)).doesNotExist();
            assertThat(h.await(running).get("status").asText()).isEqualTo("done");
            assertThat(Http.json(h.get("/healthz")).get("queued").asInt()).isZero();
        }
    }

    @Test
    void finishedChecksAreDeletedAfterTheRetentionTime() throws Exception {
        UnmaskServer.Settings brief = new UnmaskServer.Settings("127.0.0.1", 0, 1, 50L << 20, null, null, 2, Duration.ofSeconds(60),
                Duration.ofMillis(300), dir.resolve("brief"));
        try (UnmaskServer server = UnmaskServer.start(detector, brief)) {
            Http h = new Http(server, null);
            String id = Http.json(h.upload(TestMedia.photo("coffee.png"))).get("id").asText();
            assertThat(h.await(id).get("status").asText()).isEqualTo("done");
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (h.get("/v1/checks/" + id).statusCode() != 404 && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(h.get("/v1/checks/" + id).statusCode()).isEqualTo(404);
            assertThat(server.workDir().resolve(id)).doesNotExist();
        }
    }

    static JsonSchema schema() {
        Path file = Path.of(System.getProperty("unmask.repo", "..")).resolve("docs/schema/unmask.schema.json").toAbsolutePath().normalize();
        String wrapper = "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"$ref\": \"" + file.toUri() + "#/$defs/fileCheck\"}";
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(wrapper);
    }
}
