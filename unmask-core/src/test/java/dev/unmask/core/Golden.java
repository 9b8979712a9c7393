package dev.unmask.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** Access to ../shared/golden: reference outputs of the official research code. */
public final class Golden {
    private Golden() {}

    public static Path root() {
        String p = System.getProperty("unmask.golden");
        Path root = p != null ? Path.of(p) : Path.of("../../shared/golden");
        if (!Files.isDirectory(root)) {
            root = Path.of("../shared/golden");
        }
        Assumptions.assumeTrue(Files.isDirectory(root), "golden cases not found at " + root);
        return root.toAbsolutePath().normalize();
    }

    public static Path dir(String name) {
        return root().resolve(name);
    }

    /** A writable copy of a golden case's model folder (config.json and model.safetensors) at {@code target}, which it returns. */
    public static Path copyModel(String name, Path target) throws IOException {
        Files.createDirectories(target);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(dir(name).resolve(f), target.resolve(f));
        }
        return target;
    }

    public static JsonNode expected(String name) throws IOException {
        return new ObjectMapper().readTree(Files.readAllBytes(dir(name).resolve("expected.json")));
    }

    /** A nested JSON number array flattened in row-major order. */
    public static double[] flat(JsonNode n) {
        List<Double> out = new ArrayList<>();
        flatten(n, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flatten(JsonNode n, List<Double> out) {
        if (n.isArray()) {
            for (JsonNode c : n) {
                flatten(c, out);
            }
        } else {
            out.add(n.asDouble());
        }
    }

    /** ‖a − b‖ / ‖b‖, the tolerance measure the golden README specifies. */
    public static double relativeError(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            return Double.POSITIVE_INFINITY;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }
}
