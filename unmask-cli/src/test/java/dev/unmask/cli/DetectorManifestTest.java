package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The detector manifest is checked whole on load: a field of the wrong type or range, one the
 * schema does not have, or a changed_tensors entry the file does not hold is a one-line error
 * with exit 2; files from before schema_version load as version 1.
 */
class DetectorManifestTest {
    @TempDir
    static Path dir;
    static TinyDetector finetune;
    static TinyDetector.Parts parts;
    static ObjectNode manifest;
    static int cases;

    @BeforeAll
    static void detector() throws Exception {
        finetune = TinyDetector.train(dir.resolve("ft"), "--approach", "finetune", "--blocks", "1");
        parts = TinyDetector.Parts.of(Files.readAllBytes(finetune.file()));
        manifest = parts.manifest();
        assertThat(manifest.path("schema_version").asInt()).isEqualTo(1);
        assertThat(manifest.path("backbone").path("changed_tensors").size()).isGreaterThan(0);
        assertThat(manifest.path("settings").has("half_cache")).isTrue();
    }

    static CliRun evalWith(Consumer<ObjectNode> edit) throws Exception {
        ObjectNode m = manifest.deepCopy();
        edit.accept(m);
        Path file = dir.resolve("case" + cases + ".unmask");
        Files.write(file, parts.withManifest(m.toString()).bytes());
        Path out = dir.resolve("eval" + cases++);
        return CliRun.of("eval", "--detector", file.toString(), "--test", finetune.val().toString(), "--root", finetune.root().toString(),
                "--out", out.toString());
    }

    static void assertRefused(CliRun r, String... says) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("unmask: ").contains(says).doesNotContain("internal error").doesNotContain("Exception");
    }

    static ObjectNode obj(ObjectNode m, String key) {
        return (ObjectNode) m.get(key);
    }

    @Test
    void aZeroStdIsAOneLineError() throws Exception {
        assertRefused(evalWith(m -> ((ArrayNode) obj(m, "preprocessing").get("std")).set(1, 0)), "preprocessing", "std", "positive");
    }

    @Test
    void aFlippedByteInASettingNameIsRefused() throws Exception {
        assertRefused(evalWith(m -> {
            ObjectNode s = obj(m, "settings");
            s.set("half_cachm", s.remove("half_cache"));
        }), "settings", "unknown field \"half_cachm\"");
    }

    @Test
    void aFlippedByteInAChangedTensorIsRefused() throws Exception {
        assertRefused(evalWith(m -> {
            ArrayNode changed = (ArrayNode) obj(m, "backbone").get("changed_tensors");
            String name = changed.get(0).asText();
            changed.set(0, name.substring(0, name.length() - 1) + (name.endsWith("t") ? "u" : "t"));
        }), "changed_tensors", "which the file does not hold");
    }

    @Test
    void malformedOrUnknownFieldsAreRefused() throws Exception {
        assertRefused(evalWith(m -> m.put("threshold", "0.5")), "threshold");
        assertRefused(evalWith(m -> obj(m, "head").put("blocks", 1.5)), "head", "blocks");
        assertRefused(evalWith(m -> m.put("extra", 1)), "unknown field \"extra\"");
        assertRefused(evalWith(m -> obj(m, "backbone").put("sha256", "abc")), "sha256");
        assertRefused(evalWith(m -> obj(m, "preprocessing").put("size", 1_000_000)), "size");
        assertRefused(evalWith(m -> m.put("approach", "magic")), "approach");
        assertRefused(evalWith(m -> obj(m, "provenance").put("sead", 1)), "provenance", "sead");
        assertRefused(evalWith(m -> m.put("schema_version", 2)), "schema_version 2");
        assertRefused(evalWith(m -> obj(m, "head").remove("tokens")), "tokens", "missing");
    }

    @Test
    void aFileWithoutSchemaVersionLoadsAsVersion1() throws Exception {
        CliRun r = evalWith(m -> m.remove("schema_version"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        CliRun same = evalWith(m -> { });
        assertThat(same.exitCode()).as(same.err()).isZero();
        assertThat(Files.readString(dir.resolve("eval" + (cases - 2)).resolve("scores.csv")))
                .isEqualTo(Files.readString(dir.resolve("eval" + (cases - 1)).resolve("scores.csv")));
        assertThat(List.of(r.err(), same.err())).noneMatch(e -> e.contains("warning"));
    }
}
