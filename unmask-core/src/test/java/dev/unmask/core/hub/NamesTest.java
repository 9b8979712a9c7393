package dev.unmask.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Repo ids, revisions and settings: everything that ends up in a URL or a cache path. */
class NamesTest {
    private final BackboneRegistry registry = BackboneRegistry.builtIn();

    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b/c", "../x", "x/..", "a/.hidden", "a--b/c", "a/b--c", "/x", "x/", "a/b c", "a/b\\c", "a/b.."})
    void badRepoIdsAreUserErrors(String text) {
        assertThatThrownBy(() -> RepoId.parse(text)).isInstanceOf(UserError.class);
    }

    @Test
    void repoIdsMapToBothCacheLayouts() {
        RepoId r = RepoId.parse("timm/efficientnet_b4.ra2_in1k");
        assertThat(r.cacheDirName()).isEqualTo("timm--efficientnet_b4.ra2_in1k");
        assertThat(r.huggingFaceCacheDirName()).isEqualTo("models--timm--efficientnet_b4.ra2_in1k");
    }

    @Test
    void refsTakeRevisionFromAtOrOption() {
        assertThat(ModelRef.parse("dinov2_vits14", null, registry).display()).isEqualTo("facebook/dinov2-small@main");
        assertThat(ModelRef.parse("dinov2_vits14@v1", null, registry).revision()).isEqualTo("v1");
        assertThat(ModelRef.parse("a/b", "refs/pr/3", registry).revision()).isEqualTo("refs/pr/3");
        assertThat(ModelRef.parse("a/b@v1", "v1", registry).revision()).isEqualTo("v1");
        assertThatThrownBy(() -> ModelRef.parse("a/b@v1", "v2", registry)).hasMessageContaining("two revisions");
        assertThat(ModelRef.parse("dinov2_vits14", "v2", registry).pullCommand())
                .isEqualTo("unmask pull dinov2_vits14 --revision v2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../main", "a/../b", "/main", "main/", "a//b", ".git", "a b", "x@y", "refs/.x"})
    void badRevisionsAreUserErrors(String revision) {
        assertThatThrownBy(() -> ModelRef.parse("a/b", revision, registry)).isInstanceOf(UserError.class);
    }

    @Test
    void propertiesWinOverEnvironmentAndDefaultsFollowHuggingFace() {
        Map<String, String> env = Map.of("HF_ENDPOINT", "https://mirror.example/", "UNMASK_HOME", "/u",
                "HF_HOME", "/hfh", "HF_TOKEN", "env-token");
        HubSettings fromEnv = HubSettings.from(p -> p.equals("user.home") ? "/home/x" : null, env::get);
        assertThat(fromEnv.endpoint().toString()).isEqualTo("https://mirror.example");
        assertThat(fromEnv.home()).isEqualTo(Path.of("/u"));
        assertThat(fromEnv.huggingFaceCache()).isEqualTo(Path.of("/hfh/hub"));
        assertThat(fromEnv.token()).isEqualTo("env-token");
        assertThat(fromEnv.toString()).doesNotContain("env-token");

        Map<String, String> props = Map.of("user.home", "/home/x", HubSettings.ENDPOINT_PROPERTY, "http://127.0.0.1:9",
                HubSettings.HOME_PROPERTY, "/p", HubSettings.HF_CACHE_PROPERTY, "/c", HubSettings.TOKEN_PROPERTY, "");
        HubSettings fromProps = HubSettings.from(props::get, env::get);
        assertThat(fromProps.endpoint().toString()).isEqualTo("http://127.0.0.1:9");
        assertThat(fromProps.home()).isEqualTo(Path.of("/p"));
        assertThat(fromProps.huggingFaceCache()).isEqualTo(Path.of("/c"));
        assertThat(fromProps.token()).isNull();

        HubSettings defaults = HubSettings.from(p -> p.equals("user.home") ? "/home/x" : null, k -> null);
        assertThat(defaults.endpoint().toString()).isEqualTo(HubSettings.DEFAULT_ENDPOINT);
        assertThat(defaults.home()).isEqualTo(Path.of("/home/x/.cache/unmask"));
        assertThat(defaults.huggingFaceCache()).isEqualTo(Path.of("/home/x/.cache/huggingface/hub"));
    }

    @Test
    void endpointMustBeAnHttpUrl() {
        assertThatThrownBy(() -> HubSettings.parseEndpoint("file:///etc")).hasMessageContaining("HF_ENDPOINT");
        assertThatThrownBy(() -> HubSettings.parseEndpoint("not a url")).hasMessageContaining("HF_ENDPOINT");
    }
}
