package dev.unmask.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelResolverTest {
    @TempDir
    Path tmp;

    private FakeHub hub;
    private HubSettings settings;
    private ModelResolver resolver;
    private final byte[] config = "{\"model_type\":\"dinov2\"}".getBytes(StandardCharsets.UTF_8);
    private final byte[] weights = FakeHub.bytes(10_000, 1);

    @BeforeEach
    void setUp() throws Exception {
        hub = new FakeHub();
        settings = new HubSettings(URI.create(hub.endpoint()), tmp.resolve("home"), tmp.resolve("hf"), null);
        resolver = new ModelResolver(settings, BackboneRegistry.builtIn());
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    @Test
    void anExistingDirectoryIsUsedAsIs() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("my-model"));
        assertThat(resolver.locate(dir.toString())).isEqualTo(dir);
        assertThatThrownBy(() -> resolver.locate(tmp.resolve("missing").toString()))
                .isInstanceOf(UserError.class).hasMessageStartingWith("no such model directory");
        Path file = Files.writeString(tmp.resolve("model.safetensors"), "x");
        assertThatThrownBy(() -> resolver.locate(file.toString())).hasMessageContaining("got a file");
    }

    @Test
    void aNameNotPulledYetSaysWhichPullToRun() {
        assertThatThrownBy(() -> resolver.locate("dinov2_vits14"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("facebook/dinov2-small@main is not in the model cache")
                .hasMessageEndingWith("run: unmask pull dinov2_vits14");
        assertThatThrownBy(() -> resolver.locate("facebook/dinov2-small@v1"))
                .hasMessageEndingWith("run: unmask pull facebook/dinov2-small --revision v1");
        assertThatThrownBy(() -> resolver.locate("facebook/dinov2-small@refs/pr/1"))
                .hasMessageEndingWith("run: unmask pull facebook/dinov2-small --revision refs/pr/1");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aPulledNameResolvesToItsSnapshotWithoutTheNetwork() throws Exception {
        String commit = hub.repo("facebook/dinov2-small").commit("main", Map.of("config.json", config, "model.safetensors", weights));
        PullResult pulled = new ModelPuller(settings, PullListener.SILENT)
                .pull(ModelRef.parse("dinov2_vits14", null, BackboneRegistry.builtIn()), false);
        hub.clearRequests();
        hub.close();

        Path dir = resolver.locate("dinov2_vits14");
        assertThat(dir).isEqualTo(settings.modelsDir().resolve("facebook--dinov2-small/snapshots/" + commit));
        assertThat(dir).isEqualTo(pulled.snapshot().directory());
        assertThat(resolver.locate("facebook/dinov2-small")).isEqualTo(dir);
        assertThat(resolver.locate("facebook/dinov2-small@" + commit)).isEqualTo(dir);

        PulledSnapshot s = resolver.snapshot("dinov2_vits14");
        assertThat(s.commit()).isEqualTo(commit);
        assertThat(s.files()).extracting(PulledSnapshot.PulledFile::name).containsExactly("config.json", "model.safetensors");
        assertThat(s.files().get(1).sha256()).isEqualTo(FakeHub.sha256(weights));
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aSnapshotWithAMissingFileIsNotUsed() throws Exception {
        hub.repo("facebook/dinov2-small").commit("main", Map.of("config.json", config, "model.safetensors", weights));
        Path dir = new ModelPuller(settings, PullListener.SILENT)
                .pull(ModelRef.parse("dinov2_vits14", null, BackboneRegistry.builtIn()), false).snapshot().directory();
        Files.delete(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> resolver.locate("dinov2_vits14")).hasMessageContaining("run: unmask pull dinov2_vits14");
    }
}
