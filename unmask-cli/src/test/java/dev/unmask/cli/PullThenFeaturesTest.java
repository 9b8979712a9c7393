package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.hub.FakeHub;
import dev.unmask.core.hub.HubSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's path: pull a backbone by its short name from a (loopback) Hub, then use it by that name. */
class PullThenFeaturesTest {

    @Test
    void pulledBackboneIsUsableByNameAndComputesTheReferenceFeatures(@TempDir Path tmp) throws Exception {
        Path golden = FeaturesCommandTest.golden("dinov2_hf_small2");
        try (FakeHub hub = new FakeHub()) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("config.json", Files.readAllBytes(golden.resolve("config.json")));
            files.put("model.safetensors", Files.readAllBytes(golden.resolve("model.safetensors")));
            hub.repo("facebook/dinov2-small").commit("main", files);
            System.setProperty(HubSettings.ENDPOINT_PROPERTY, hub.endpoint());
            System.setProperty(HubSettings.HOME_PROPERTY, tmp.resolve("home").toString());
            System.setProperty(HubSettings.HF_CACHE_PROPERTY, tmp.resolve("hf").toString());
            System.setProperty(HubSettings.TOKEN_PROPERTY, "");

            CliRun pull = CliRun.of("pull", "dinov2_vits14");
            assertThat(pull.exitCode()).as(pull.err()).isZero();
            hub.clearRequests();

            CliRun features = CliRun.of("features", "--model", "dinov2_vits14", "--image",
                    golden.resolve("input.png").toString(), "--json");
            assertThat(features.exitCode()).as(features.err()).isZero();
            assertThat(hub.requests()).as("using a pulled model must not touch the network").isEmpty();
            JsonNode got = new ObjectMapper().readTree(features.out());
            JsonNode exp = new ObjectMapper().readTree(golden.resolve("expected.json").toFile());
            for (String key : List.of("cls_final", "cls_last4", "patch_mean_final", "attn_last_cls")) {
                assertThat(FeaturesCommandTest.relErr(FeaturesCommandTest.flat(got.get(key)), FeaturesCommandTest.flat(exp.get(key))))
                        .as(key).isLessThanOrEqualTo(1e-4);
            }
        } finally {
            for (String p : List.of(HubSettings.ENDPOINT_PROPERTY, HubSettings.HOME_PROPERTY,
                    HubSettings.HF_CACHE_PROPERTY, HubSettings.TOKEN_PROPERTY)) {
                System.clearProperty(p);
            }
        }
    }

    @Test
    void aPulledClipRepoBringsItsPreprocessorConfigAndPrintsImageEmbeds(@TempDir Path tmp) throws Exception {
        Path golden = FeaturesCommandTest.golden("clip_hf_full");
        try (FakeHub hub = new FakeHub()) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            for (String f : List.of("config.json", "model.safetensors", "preprocessor_config.json")) {
                files.put(f, Files.readAllBytes(golden.resolve(f)));
            }
            hub.repo("openai/clip-vit-base-patch16").commit("main", files);
            System.setProperty(HubSettings.ENDPOINT_PROPERTY, hub.endpoint());
            System.setProperty(HubSettings.HOME_PROPERTY, tmp.resolve("home").toString());
            System.setProperty(HubSettings.HF_CACHE_PROPERTY, tmp.resolve("hf").toString());
            System.setProperty(HubSettings.TOKEN_PROPERTY, "");

            CliRun pull = CliRun.of("pull", "clip_vitb16");
            assertThat(pull.exitCode()).as(pull.err()).isZero();
            Path snapshot = Path.of(pull.out().strip());
            assertThat(snapshot.resolve("preprocessor_config.json")).hasSameBinaryContentAs(golden.resolve("preprocessor_config.json"));

            CliRun features = CliRun.of("features", "--model", "clip_vitb16", "--image", golden.resolve("input.png").toString(), "--json");
            assertThat(features.exitCode()).as(features.err()).isZero();
            JsonNode got = new ObjectMapper().readTree(features.out());
            JsonNode exp = new ObjectMapper().readTree(golden.resolve("expected.json").toFile());
            for (String key : List.of("cls_final", "image_embeds")) {
                assertThat(FeaturesCommandTest.relErr(FeaturesCommandTest.flat(got.get(key)), FeaturesCommandTest.flat(exp.get(key))))
                        .as(key).isLessThanOrEqualTo(1e-4);
            }
        } finally {
            for (String p : List.of(HubSettings.ENDPOINT_PROPERTY, HubSettings.HOME_PROPERTY,
                    HubSettings.HF_CACHE_PROPERTY, HubSettings.TOKEN_PROPERTY)) {
                System.clearProperty(p);
            }
        }
    }
}
