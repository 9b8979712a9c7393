package dev.unmask.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.GenDModel;
import dev.unmask.core.model.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every folder under the golden root is a case some harness runs: a case of a family no loader
 * implements fails here, by name, instead of being passed over by the family harnesses, and a
 * case missing a file its harness reads fails here with the file's name.
 */
class GoldenCasesTest {

    static List<String> cases() {
        return Golden.cases();
    }

    @ParameterizedTest(name = "{0} belongs to an implemented family and has its files")
    @MethodSource("cases")
    void caseIsRunnable(String name) {
        Path dir = Golden.dir(name);
        Golden.Family family = Golden.family(name);
        String why = family != Golden.Family.UNKNOWN ? "" : Golden.describeConfig(name)
                + (Files.isRegularFile(dir.resolve("config.json")) && ModelDirectory.open(dir).isViT() ? " (" + Golden.loaderError(name) + ")" : "");
        assertThat(family).as("golden case %s: %s is not a family Unmask implements; a case joins with the code for its family", name, why)
                .isNotEqualTo(Golden.Family.UNKNOWN);
        if (family == Golden.Family.TRAINING) {
            JsonNode recipe = StrictJson.read(dir.resolve("recipe.json"));
            assertThat(Golden.family(name + "/" + recipe.at("/backbone/dir").asText())).as(name + " backbone").isEqualTo(Golden.Family.VIT);
            requireFiles(dir, "expected.json", recipe.at("/head/init_file").asText(), recipe.at("/input/labels_csv").asText());
            recipe.at("/input/files").forEach(f -> requireFiles(dir, f.asText()));
        } else if (family == Golden.Family.GEND) {
            // GenD's expected values are computed from a source case's reference features, so no input_check.
            requireFiles(dir, "config.json", "model.safetensors", "input.png", "expected.json", GenDModel.BACKBONE_DIR + "/config.json");
            assertThat(Golden.expected(name).has("p_fake")).as(name + " expected.json p_fake").isTrue();
        } else {
            requireFiles(dir, "config.json", "model.safetensors", "input.png", "expected.json");
            assertThat(Golden.expected(name).has("input_check")).as(name + " expected.json input_check").isTrue();
        }
    }

    @Test
    void everyHarnessHasCases() {
        for (Golden.Family f : Golden.Family.values()) {
            if (f != Golden.Family.UNKNOWN) {
                assertThat(Golden.cases(f)).as("cases of " + f).isNotEmpty();
            }
        }
    }

    private static void requireFiles(Path dir, String... files) {
        for (String f : files) {
            assertThat(Files.isRegularFile(dir.resolve(f))).as("golden case %s lacks %s", dir.getFileName(), f).isTrue();
        }
    }
}
