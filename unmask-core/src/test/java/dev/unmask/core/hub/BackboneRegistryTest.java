package dev.unmask.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BackboneRegistryTest {
    private final BackboneRegistry registry = BackboneRegistry.builtIn();

    @ParameterizedTest
    @CsvSource({
        "dinov2_vits14, facebook/dinov2-small",
        "dinov2_vitb14, facebook/dinov2-base",
        "dinov2_vitl14, facebook/dinov2-large",
        "dinov2_vitg14, facebook/dinov2-giant",
        "dinov2_vits14_reg, facebook/dinov2-with-registers-small",
        "dinov2_vitb14_reg, facebook/dinov2-with-registers-base",
        "dinov2_vitl14_reg, facebook/dinov2-with-registers-large",
        "dinov2_vitg14_reg, facebook/dinov2-with-registers-giant",
        "dino_vits16, facebook/dino-vits16",
        "dino_vitb16, facebook/dino-vitb16",
        "dino_vits8, facebook/dino-vits8",
        "dino_vitb8, facebook/dino-vitb8",
        "mae_vitb16, facebook/vit-mae-base",
        "mae_vitl16, facebook/vit-mae-large",
        "mae_vith14, facebook/vit-mae-huge",
        "vit_b16_in21k, google/vit-base-patch16-224-in21k",
        "efficientnet_b4, timm/efficientnet_b4.ra2_in1k",
        "tf_efficientnetv2_l, timm/tf_efficientnetv2_l.in21k_ft_in1k",
        "xception, timm/legacy_xception.tf_in1k",
        "efficientnet_b0, timm/efficientnet_b0.ra_in1k",
        "clip_vitb16, openai/clip-vit-base-patch16",
        "clip_vitl14, openai/clip-vit-large-patch14",
        "dinov3_vits16, facebook/dinov3-vits16-pretrain-lvd1689m",
        "dinov3_vitb16, facebook/dinov3-vitb16-pretrain-lvd1689m",
        "dinov3_vitl16, facebook/dinov3-vitl16-pretrain-lvd1689m",
    })
    void namesMapToThePapersRepos(String name, String repo) {
        assertThat(registry.repoFor(name).id()).isEqualTo(repo);
    }

    @Test
    void holdsExactlyThePapersBackbones() {
        assertThat(registry.all()).hasSize(25);
        assertThat(registry.all()).filteredOn(b -> b.kind().equals("convnet")).hasSize(4);
    }

    @Test
    void publishedDetectorsHaveNamesAndTheGatedBackbonesTheirShippedConfigs() {
        assertThat(registry.repoFor("gend_clip_l14").id()).isEqualTo("yermandy/GenD_CLIP_L_14");
        assertThat(registry.repoFor("gend_dinov3_l16").id()).isEqualTo("yermandy/GenD_DINOv3_L");
        for (BackboneRegistry.DetectorEntry d : registry.detectors()) {
            if (d.refused() == null) {
                assertThat(BackboneRegistry.shippedBackboneConfigs(d.backbone())).as(d.name())
                        .containsOnlyKeys("config.json", "preprocessor_config.json");
            }
        }
        assertThat(BackboneRegistry.shippedBackboneConfigs(new RepoId("facebook", "dinov2-small"))).isEmpty();
    }

    @Test
    void thePerceptionEncoderVariantIsRefusedByNameAndByRepo() {
        assertThatThrownBy(() -> registry.repoFor("gend_pe_l")).isInstanceOf(UserError.class).hasMessageContaining("Perception Encoder");
        assertThatThrownBy(() -> registry.repoFor("yermandy/GenD_PE_L")).isInstanceOf(UserError.class).hasMessageContaining("Perception Encoder");
    }

    @Test
    void timmReposAreUsedByTheirFullNames() {
        assertThat(registry.repoFor("timm/vit_small_patch14_reg4_dinov2.lvd142m"))
                .isEqualTo(new RepoId("timm", "vit_small_patch14_reg4_dinov2.lvd142m"));
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        assertThatThrownBy(() -> registry.repoFor("dinov3_vits14"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("unknown backbone \"dinov3_vits14\"")
                .hasMessageContaining("dinov2_vits14, ")
                .hasMessageContaining("OWNER/NAME");
    }

    @Test
    void malformedRegistryFilesAreRefusedWithTheEntryNamed() {
        assertThatThrownBy(() -> parse("{\"format\":\"unmask-backbones/1\",\"backbones\":{\"x\":{\"repo\":\"a/b\",\"family\":\"f\"}}}"))
                .hasMessageContaining("backbone \"x\" needs a \"kind\"");
        assertThatThrownBy(() -> parse("{\"format\":\"unmask-backbones/1\",\"backbones\":{\"x\":{\"repo\":\"../b\",\"family\":\"f\",\"kind\":\"vit\"}}}"))
                .hasMessageContaining("not a valid Hub repo id");
        assertThatThrownBy(() -> parse("{\"format\":\"unmask-backbones/1\",\"backbones\":{\"x\":{\"repo\":\"a/b\",\"family\":\"f\",\"kind\":\"vit\",\"rev\":1}}}"))
                .hasMessageContaining("unknown field \"rev\"");
        assertThatThrownBy(() -> parse("{\"format\":\"unmask-backbones/1\",\"backbones\":{\"x\":{},\"x\":{}}}"))
                .hasMessageContaining("invalid JSON");
    }

    private static BackboneRegistry parse(String json) {
        return BackboneRegistry.parse(json.getBytes(StandardCharsets.UTF_8), "test.json");
    }
}
