package dev.unmask.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import dev.unmask.media.TestMedia;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 uploads at once against a queue of 16 on loopback: every request is either accepted and
 * done with the verdict and score the library gives the same file, or refused with 429; the
 * process's resident memory stays under 2 GB; no upload, part or result is left once the checks are
 * deleted and the server is closed. Throughput and latency go to target/load-test.txt (and
 * docs/BENCHMARKS.md by hand).
 */
class LoadTest {
    static final int REQUESTS = 200;
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void twoHundredConcurrentUploadsGetACorrectAnswerOr429() throws Exception {
        Detector detector = TinyDetector.get();
        Path photo = TestMedia.photo("astronaut.png");
        FileCheck expected = detector.check(photo, CheckOptions.defaults());
        Set<String> tmpBefore = tempFiles();
        byte[] body = Http.multipart("astronaut.png", Files.readAllBytes(photo));
        AtomicLong peakRss = new AtomicLong(rss());
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                peakRss.accumulateAndGet(rss(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        UnmaskServer.Settings settings = new UnmaskServer.Settings("127.0.0.1", 0, 2, 50L << 20, null, null, 16, Duration.ofSeconds(120),
                Duration.ofHours(1), dir.resolve("work"));
        List<Long> latencies = new ArrayList<>();
        int accepted = 0;
        int refused = 0;
        long start;
        long end;
        try (UnmaskServer server = UnmaskServer.start(detector, settings)) {
            Http http = new Http(server, null);
            ExecutorService pollers = Executors.newFixedThreadPool(32);
            try {
                start = System.nanoTime();
                List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 0; i < REQUESTS; i++) {
                    sent.add(Http.CLIENT.sendAsync(http.request("/v1/checks").header("Content-Type", "multipart/form-data; boundary=unmask-test-boundary-7f3a")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
                }
                List<Future<JsonNode>> done = new ArrayList<>();
                for (CompletableFuture<HttpResponse<String>> f : sent) {
                    HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
                    if (r.statusCode() == 429) {
                        refused++;
                        assertThat(r.headers().firstValue("Retry-After")).isPresent();
                        continue;
                    }
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                    accepted++;
                    String id = Http.json(r).get("id").asText();
                    done.add(pollers.submit(() -> {
                        JsonNode c = http.await(id);
                        synchronized (latencies) {
                            latencies.add(System.nanoTime() - start);
                        }
                        return c;
                    }));
                }
                for (Future<JsonNode> f : done) {
                    JsonNode c = f.get(120, TimeUnit.SECONDS);
                    assertThat(c.get("status").asText()).as(c.toString()).isEqualTo("done");
                    assertThat(c.get("report").get("verdict").asText()).isEqualTo(expected.verdict().toString().toLowerCase(Locale.ROOT));
                    assertThat(c.get("report").get("score").asDouble()).isCloseTo(expected.score(), Assertions.within(1e-6));
                    assertThat(http.delete("/v1/checks/" + c.get("id").asText()).statusCode()).isEqualTo(204);
                }
                end = System.nanoTime();
            } finally {
                pollers.shutdownNow();
            }
            assertThat(server.workDir().toFile().list()).containsExactly(".parts");
            assertThat(server.workDir().resolve(".parts").toFile().list()).isEmpty();
        } finally {
            sampling.set(false);
            sampler.join();
        }
        assertThat(accepted + refused).isEqualTo(REQUESTS);
        assertThat(accepted).isGreaterThanOrEqualTo(16);
        assertThat(dir.resolve("work")).doesNotExist();
        Set<String> left = tempFiles();
        left.removeAll(tmpBefore);
        assertThat(left).as("temporary files left").isEmpty();
        assertThat(peakRss.get()).as("peak resident memory").isLessThan(2L << 30);

        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double seconds = (end - start) / 1e9;
        String summary = String.format(Locale.ROOT, "requests %d, accepted %d, refused (429) %d, wall %.2f s, throughput %.2f checks/s,"
                + " latency of accepted checks (upload to done) p50 %.2f s p95 %.2f s, peak RSS %d MiB, cores %d%n", REQUESTS, accepted, refused, seconds,
                accepted / seconds, pct(sorted, 0.50), pct(sorted, 0.95), peakRss.get() >> 20, Runtime.getRuntime().availableProcessors());
        System.out.print("LoadTest: " + summary);
        Files.writeString(Files.createDirectories(Path.of("target")).resolve("load-test.txt"), summary);
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e9;
    }

    /** This JVM's resident set (server and client together: an upper bound for the server). */
    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // Not Linux: no measurement, the other checks still hold.
        }
        return 0;
    }

    /** Files Jetty or the JVM could leave in the system temp folder for uploads. */
    private static Set<String> tempFiles() {
        String[] names = new File(System.getProperty("java.io.tmpdir")).list();
        Set<String> s = new HashSet<>();
        Arrays.stream(names == null ? new String[0] : names).filter(n -> n.startsWith("MultiPart") || n.startsWith("unmask-serve-")
                || n.startsWith("jetty-")).forEach(s::add);
        return s;
    }
}
