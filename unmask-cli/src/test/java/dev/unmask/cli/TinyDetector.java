package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.Golden;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Predicate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A detector trained by {@code unmask train} on the tiny golden ViT (a probe, 2 epochs, 56 px, a
 * few seconds), with its backbone and data, for tests that need a real detector file to break.
 */
record TinyDetector(Path file, Path backbone, Path root, Path val) {
    private static TinyDetector shared;

    /**
     * One probe trained for every test class of this JVM that only reads it (its files must not be
     * changed): training it once saves seconds a class. Deleted when the JVM exits.
     */
    static synchronized TinyDetector shared() throws IOException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("unmask-tiny-detector");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    // A temporary folder left behind is no failure.
                }
            }));
            shared = train(dir);
        }
        return shared;
    }

    static TinyDetector train(Path dir, String... extra) throws IOException {
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        Path root = dir.resolve("faces");
        FaceSet.of(3, 16, 10).byVideo().write(dir, root);
        Path file = dir.resolve("tiny.unmask");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--backbone", backbone.toString(), "--train",
                dir.resolve("train.csv").toString(), "--val", dir.resolve("val.csv").toString(), "--root", root.toString(), "--out",
                file.toString(), "--image-size", "56", "--epochs", "2", "--batch", "8"));
        args.addAll(java.util.List.of(extra));
        CliRun t = CliRun.of(args.toArray(String[]::new));
        assertThat(t.exitCode()).as(t.err()).isZero();
        return new TinyDetector(file, backbone, root, dir.resolve("val.csv"));
    }

    /** A safetensors file taken apart: its header (JSON) and the bytes after it. */
    record Parts(ObjectNode header, byte[] data) {
        static final ObjectMapper JSON = new ObjectMapper();

        static Parts of(byte[] file) throws IOException {
            long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            ObjectNode h = (ObjectNode) JSON.readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
            return new Parts(h, java.util.Arrays.copyOfRange(file, 8 + (int) n, file.length));
        }

        byte[] bytes() {
            byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(h.length).put(h).put(data);
            return b.array();
        }

        /** Sets every float of the tensors {@code which} selects, alternating signs: {@code +v, -v, +v, ...}. */
        Parts fill(Predicate<String> which, float v) {
            byte[] d = data.clone();
            ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__") || !which.test(e.getKey())) {
                    continue;
                }
                long from = e.getValue().get("data_offsets").get(0).asLong();
                long to = e.getValue().get("data_offsets").get(1).asLong();
                for (long at = from, k = 0; at < to; at += 4, k++) {
                    b.putFloat((int) at, k % 2 == 0 ? v : -v);
                }
            }
            return new Parts(header, d);
        }

        /** The detector manifest in the metadata, parsed. */
        ObjectNode manifest() throws IOException {
            return (ObjectNode) JSON.readTree(header.get("__metadata__").get("unmask_detector").asText());
        }

        Parts withManifest(String manifestJson) {
            ObjectNode h = header.deepCopy();
            ((ObjectNode) h.get("__metadata__")).put("unmask_detector", manifestJson);
            return new Parts(h, data);
        }
    }

    static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, bytes);
    }
}
