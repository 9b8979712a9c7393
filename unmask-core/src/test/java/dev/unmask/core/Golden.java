package dev.unmask.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.model.GenDModel;
import dev.unmask.core.model.ModelDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The golden cases (testdata/golden, format in its README.md): reference outputs of the official
 * research code. The repo carries them, so a missing root or case is a test failure, never a skip:
 * a skip would let a broken checkout pass without testing the numerics at all.
 */
public final class Golden {
    private Golden() {}

    /** What a case tests, read from its own files; decides which harness runs it. */
    public enum Family {
        /** A training recipe (recipe.json) on a backbone folder. */
        TRAINING,
        /** A ViT model directory whose config the loader knows. */
        VIT,
        /** A ConvNet model directory whose architecture the loader knows. */
        CONVNET,
        /** A GenD detector folder (config model_type "GenD") whose backbone config the ViT loader reads. */
        GEND,
        /** A config no loader here implements: GoldenCasesTest fails on it. */
        UNKNOWN
    }

    /**
     * {@code unmask.golden} (surefire sets it; {@code -Dunmask.golden=DIR} overrides), else the
     * testdata/golden of the nearest enclosing checkout, as when a test runs from an IDE.
     */
    public static Path root() {
        String p = System.getProperty("unmask.golden");
        Path root;
        if (p != null) {
            root = Path.of(p);
        } else {
            root = Path.of("testdata/golden");
            for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
                if (Files.isDirectory(d.resolve("testdata/golden"))) {
                    root = d.resolve("testdata/golden");
                    break;
                }
            }
        }
        assertThat(Files.isDirectory(root))
                .as("golden cases not found at %s (the repo carries them in testdata/golden; -Dunmask.golden=DIR points elsewhere)",
                        root.toAbsolutePath())
                .isTrue();
        return root.toAbsolutePath().normalize();
    }

    /** A case's folder; fails when it is missing. */
    public static Path dir(String name) {
        Path dir = root().resolve(name);
        assertThat(Files.isDirectory(dir)).as("golden case %s not found under %s", name, dir.getParent()).isTrue();
        return dir;
    }

    /** Every case folder under the root, sorted: a new folder is a new case, with no code to change. */
    public static List<String> cases() {
        Path root = root();
        try (Stream<Path> s = Files.list(root)) {
            List<String> names = s.filter(Files::isDirectory).map(d -> d.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
            assertThat(names).as("golden case folders under %s", root).isNotEmpty();
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cases of one family, for a harness's {@code @MethodSource}. */
    public static List<String> cases(Family family) {
        List<String> out = cases().stream().filter(n -> family(n) == family).toList();
        assertThat(out).as("golden cases of family %s under %s", family, root()).isNotEmpty();
        return out;
    }

    public static Family family(String name) {
        Path dir = dir(name);
        if (Files.isRegularFile(dir.resolve("recipe.json"))) {
            return Family.TRAINING;
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            return Family.UNKNOWN;
        }
        ModelDirectory md = ModelDirectory.open(dir);
        if (md.isGenD()) {
            try {
                GenDModel.backboneSpec(md);
                return Family.GEND;
            } catch (UserError e) {
                return Family.UNKNOWN;
            }
        }
        if (md.isConvNet()) {
            return Family.CONVNET;
        }
        return md.isViT() && loaderError(md) == null ? Family.VIT : Family.UNKNOWN;
    }

    /** Why the ViT loader refuses a case's config, or null when it reads it. */
    public static String loaderError(String name) {
        return loaderError(ModelDirectory.open(dir(name)));
    }

    private static String loaderError(ModelDirectory md) {
        try {
            md.vitSpec();
            return null;
        } catch (UserError e) {
            return e.getMessage();
        }
    }

    /** What a case's config.json says it is, for messages about cases no harness takes. */
    public static String describeConfig(String name) {
        Path cfg = dir(name).resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            return "no config.json and no recipe.json";
        }
        JsonNode c = read(cfg);
        if (c.has("model_type")) {
            return "model_type " + c.get("model_type");
        }
        return c.has("architecture") ? "architecture " + c.get("architecture") : "a config.json with neither model_type nor architecture";
    }

    /** A writable copy of a golden case's model folder (config.json and model.safetensors) at {@code target}, which it returns. */
    public static Path copyModel(String name, Path target) throws IOException {
        Files.createDirectories(target);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(dir(name).resolve(f), target.resolve(f));
        }
        return target;
    }

    public static JsonNode expected(String name) {
        return read(dir(name).resolve("expected.json"));
    }

    private static JsonNode read(Path file) {
        assertThat(Files.isRegularFile(file)).as("golden file %s", file).isTrue();
        try {
            return new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
    }

    /** A nested JSON number array flattened in row-major order. */
    public static double[] flat(JsonNode n) {
        assertThat(n).as("a golden value the case's expected.json lacks").isNotNull();
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
