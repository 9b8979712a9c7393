package dev.unmask.spark;

import dev.unmask.api.Detector;
import dev.unmask.api.LoadOptions;
import dev.unmask.core.UserError;
import dev.unmask.core.io.Hashing;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The detectors loaded in this JVM, one per detector file and content: an executor loads a
 * detector once and every task it runs, on any of its threads, shares it ({@link Detector} is
 * thread-safe). Never closed: it lives as long as the executor, as Spark's own caches do.
 */
final class DetectorCache {
    private static final Map<String, Detector> LOADED = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private DetectorCache() {}

    /**
     * What tasks need to find or load a detector: its path on every executor, the SHA-256 the
     * driver saw (an executor refuses a file that differs), and how to load it.
     */
    record Ref(String path, String sha256, boolean assumeCrop, boolean preCropped) implements Serializable {
        String key() {
            return path + "#" + sha256 + "#" + assumeCrop + "#" + preCropped;
        }

        /** The detector's short id in the output: its file name and the first 12 hex digits of its hash. */
        String id() {
            return Path.of(path).getFileName() + "@" + sha256.substring(0, 12);
        }

        /** Hashes the detector where the driver sees it. */
        static Ref of(Path detector, boolean assumeCrop, boolean preCropped) {
            if (!Files.exists(detector)) {
                throw new UserError(detector + ": no such detector");
            }
            return new Ref(detector.toAbsolutePath().toString(), contentHash(detector), assumeCrop, preCropped);
        }
    }

    static Detector get(Ref ref) {
        return LOADED.computeIfAbsent(ref.key(), k -> {
            Path file = Path.of(ref.path());
            String seen = Files.exists(file) ? contentHash(file) : "missing";
            if (!seen.equals(ref.sha256())) {
                throw new UserError(ref.path() + ": not the detector the driver saw on this executor (SHA-256 " + seen + ", driver "
                        + ref.sha256() + "); every executor must see the same file");
            }
            LOADS.incrementAndGet();
            return Detector.load(file, new LoadOptions(null, ref.assumeCrop(), ref.preCropped()));
        });
    }

    /** Closes and forgets every detector loaded in this JVM (for benchmarks that time a job's loading too). */
    static void clear() {
        for (String k : List.copyOf(LOADED.keySet())) {
            Detector d = LOADED.remove(k);
            if (d != null) {
                d.close();
            }
        }
    }

    /** Detectors loaded in this JVM so far (tests check that it is one per JVM, not one per task). */
    static int loads() {
        return LOADS.get();
    }

    /** SHA-256 of a detector file, or of a detector folder's files (names and contents, in order). */
    static String contentHash(Path p) {
        if (!Files.isDirectory(p)) {
            return Hashing.sha256(p);
        }
        try (Stream<Path> s = Files.walk(p)) {
            List<Path> files = s.filter(Files::isRegularFile).sorted().toList();
            StringBuilder b = new StringBuilder();
            for (Path f : files) {
                b.append(p.relativize(f)).append(' ').append(Hashing.sha256(f)).append('\n');
            }
            return Hashing.sha256(b.toString());
        } catch (IOException e) {
            throw new UserError(p + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
