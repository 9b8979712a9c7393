package dev.unmask.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.io.StrictJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A small client of the server's API, as any caller would use it: real HTTP on loopback. */
final class Http {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private static final String BOUNDARY = "unmask-test-boundary-7f3a";
    private static final List<String> TERMINAL = List.of("done", "failed", "cancelled");

    final String base;
    final String token;

    Http(UnmaskServer server, String token) {
        this.base = "http://127.0.0.1:" + server.port();
        this.token = token;
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return CLIENT.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> getBytes(String path) throws IOException, InterruptedException {
        return CLIENT.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return CLIENT.send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> upload(Path file) throws IOException, InterruptedException {
        return upload(file.getFileName().toString(), Files.readAllBytes(file));
    }

    HttpResponse<String> upload(String name, byte[] content) throws IOException, InterruptedException {
        return CLIENT.send(uploadRequest(name, content), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest uploadRequest(String name, byte[] content) {
        return request("/v1/checks").header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(name, content))).build();
    }

    HttpResponse<String> postJson(String json) throws IOException, InterruptedException {
        return CLIENT.send(request("/v1/checks").header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls a check until it is done, failed or cancelled, and returns its last state. */
    JsonNode await(String id) throws IOException, InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < end) {
            HttpResponse<String> r = get("/v1/checks/" + id);
            if (r.statusCode() != 200) {
                throw new AssertionError("GET /v1/checks/" + id + " answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode c = json(r);
            if (TERMINAL.contains(c.get("status").asText())) {
                return c;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("check " + id + " did not finish in 90 s");
    }

    static JsonNode json(HttpResponse<String> r) {
        return StrictJson.parse(r.body(), "response");
    }

    static byte[] multipart(String name, byte[] content) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        b.writeBytes(content);
        b.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }
}
