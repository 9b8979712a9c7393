package dev.unmask.core.vit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.vit.layers.PositionResampling;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The variants table is what the config readers and the built-in models read, row for row. */
class ViTVariantTest {

    static ViTConfig read(String architecture) {
        return ViTConfigs.parse(StrictJson.parse("{\"architecture\": \"" + architecture + "\"}", "test"), "test").config();
    }

    @ParameterizedTest
    @EnumSource(ViTVariant.class)
    void everyNameOfARowReadsAsThatRow(ViTVariant v) {
        Map<String, long[]> shapes = null;
        for (String name : new String[] {v.timmName(), v.hubName()}) {
            if (name == null) {
                continue;
            }
            ViTConfig c = read(name);
            assertThat(c.embedDim()).as(name).isEqualTo(v.width());
            assertThat(c.depth()).as(name).isEqualTo(v.depth());
            assertThat(c.numHeads()).as(name).isEqualTo(v.heads());
            assertThat(c.patchSize()).as(name).isEqualTo(v.patch());
            assertThat(c.posGrid()).as(name).isEqualTo(v.imageSize() / v.patch());
            assertThat(c.numRegisters()).as(name).isEqualTo(v.registers());
            assertThat(c.swiglu()).as(name).isEqualTo(v.swiglu());
            assertThat(c.mlpInner()).as(name).isEqualTo(v.swiglu() ? (int) (v.width() * v.mlpRatio() * 2 / 3 + 7) / 8 * 8
                    : (int) (v.width() * v.mlpRatio()));
            assertThat(c.layerScale()).as(name).isEqualTo(v.family().layerScale());
            // The two names of a row are one architecture: the same tensors but for where the
            // position table keeps CLS (timm's register models keep none there).
            Map<String, long[]> s = new LinkedHashMap<>(c.parameterShapes());
            s.remove("pos_embed");
            if (shapes == null) {
                shapes = s;
            } else {
                assertThat(s).usingRecursiveComparison().isEqualTo(shapes);
            }
        }
    }

    @Test
    void namesAreUniqueAndEveryRowHasOne() {
        Set<String> names = new HashSet<>();
        for (ViTVariant v : ViTVariant.values()) {
            assertThat(v.timmName() != null || v.hubName() != null).as(v.name()).isTrue();
            for (String n : new String[] {v.timmName(), v.hubName()}) {
                if (n != null) {
                    assertThat(names.add(n)).as(n).isTrue();
                }
            }
        }
    }

    @Test
    void eachNameRunsItsOwnCodesNumerics() {
        ViTConfig hub = read("dinov2_vits14_reg");
        ViTConfig timm = read("vit_small_patch14_reg4_dinov2");
        assertThat(hub.family()).isEqualTo("dinov2");
        assertThat(hub.resampling()).isEqualTo(PositionResampling.DINOV2_REGISTERS);
        assertThat(hub.posPrefix()).isEqualTo(1);
        assertThat(timm.family()).isEqualTo("timm");
        assertThat(timm.resampling()).isEqualTo(PositionResampling.TIMM);
        assertThat(timm.posPrefix()).isZero();
    }

    @Test
    void dinov3NamesReadAsRopeModelsWithoutAPositionTable() {
        ViTConfig hub = read("dinov3_vitl16");
        assertThat(hub.rope()).isTrue();
        assertThat(hub.ropeStoredPeriods()).isTrue();
        assertThat(hub.keyBias()).isFalse();
        assertThat(hub.normEps()).isEqualTo(1e-5f);
        assertThat(hub.parameterShapes()).containsKey("rope.periods").doesNotContainKey("pos_embed");
        ViTConfig timm = read("vit_large_patch16_dinov3");
        assertThat(timm.ropeStoredPeriods()).isFalse();
        assertThat(timm.qkvBias()).isFalse();
        assertThat(timm.parameterShapes()).doesNotContainKeys("rope.periods", "pos_embed", "blocks.0.attn.qkv.bias");
        assertThat(read("vit_large_patch16_dinov3_qkvb").parameterShapes()).containsKey("blocks.0.attn.qkv.bias");
        assertThatThrownBy(() -> read("vit_huge_plus_patch16_dinov3")).isInstanceOf(UserError.class).hasMessageContaining("unsupported architecture");
    }

    @Test
    void aTimmNameOutsideTheTableTakesTheShapeOfItsSizeAndPatchAndSizeFromItsName() {
        ViTConfig c = read("vit_base_patch32_384");
        assertThat(c.embedDim()).isEqualTo(ViTVariant.VIT_BASE_PATCH16_224.width());
        assertThat(c.depth()).isEqualTo(ViTVariant.VIT_BASE_PATCH16_224.depth());
        assertThat(c.patchSize()).isEqualTo(32);
        assertThat(c.posGrid()).isEqualTo(12);
        assertThatThrownBy(() -> read("vit_giant_patch14_224")).isInstanceOf(UserError.class).hasMessageContaining("not among the known ViT variants");
        assertThatThrownBy(() -> read("vit_medium_patch16_gap_256")).isInstanceOf(UserError.class).hasMessageContaining("not among the known ViT variants");
        assertThatThrownBy(() -> read("vit_small_patch16_dinov2")).isInstanceOf(UserError.class).hasMessageContaining("not among the known ViT variants");
        assertThatThrownBy(() -> read("mae_vit_base_patch14")).isInstanceOf(UserError.class).hasMessageContaining("unsupported architecture");
    }

    @Test
    void theBuiltInModelsAreRowsOfTheTable() {
        ViTConfig s = BuiltinModels.vitSmall14();
        assertThat(s).usingRecursiveComparison().isEqualTo(read(ViTVariant.VIT_SMALL_PATCH14_DINOV2.hubName()));
        assertThat(s.embedDim()).isEqualTo(384);
        assertThat(s.imageSize()).isEqualTo(224);
        assertThat(BuiltinModels.vitBase14().embedDim()).isEqualTo(ViTVariant.VIT_BASE_PATCH14_DINOV2.width());
    }

    @Test
    void aBuilderRoundTripsAndValidatesAsTheConstructorDoes() {
        ViTConfig s = BuiltinModels.vitSmall14();
        assertThat(s.toBuilder().build()).usingRecursiveComparison().isEqualTo(s);
        ViTConfig changed = s.toBuilder().depth(2).positionsTrainedAt(224).build();
        assertThat(changed.depth()).isEqualTo(2);
        assertThat(changed.posGrid()).isEqualTo(16);
        assertThat(changed.embedDim()).isEqualTo(s.embedDim());
        assertThatThrownBy(() -> s.toBuilder().numHeads(5).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of num_heads");
        assertThatThrownBy(() -> s.toBuilder().positionsTrainedAt(10).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("smaller than the patch size");
        assertThatThrownBy(() -> ViTConfig.builder().embedDim(64).depth(1).numHeads(1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("family");
    }
}
