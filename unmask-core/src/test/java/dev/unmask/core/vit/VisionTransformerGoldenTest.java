package dev.unmask.core.vit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.model.ModelDirectory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our ViT against the official DINOv2, DINO v1, timm and MAE code on the same random weights: every
 * ViT case under the golden root, each key of its expected.json that the ViT produces.
 */
class VisionTransformerGoldenTest {

    static List<String> cases() {
        return Golden.cases(Golden.Family.VIT);
    }

    @ParameterizedTest(name = "{0} matches the research code")
    @MethodSource("cases")
    void matchesReferenceOutputs(String name) throws Exception {
        Path dir = Golden.dir(name);
        JsonNode exp = Golden.expected(name);
        ModelDirectory md = ModelDirectory.open(dir);
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = md.loadViT(m)) {
            ViTConfig cfg = vit.config();
            int[][][] rgb = ImageTensor.readRgb(dir.resolve("input.png"));
            int h = rgb[0].length;
            int w = rgb[0][0].length;
            float[] x = ImageTensor.normalize(rgb, cfg.mean(), cfg.std());
            JsonNode check = exp.get("input_check");
            double sum = 0;
            for (float v : x) {
                sum += v;
            }
            assertThat(sum).isCloseTo(check.get("sum").asDouble(), org.assertj.core.data.Offset.offset(1e-2));
            assertThat(x[0]).isEqualTo((float) check.get("first_pixel_chw").get(0).asDouble());
            assertThat(x[x.length - 1]).isEqualTo((float) check.get("last_pixel_chw").get(2).asDouble());

            NDArray input = m.create(x, new Shape(1, 3, h, w));
            ViTFeatures f = vit.features(input, 4, false, true);
            Map<String, float[]> actual = new LinkedHashMap<>();
            actual.put("cls_final", f.clsFinal().toFloatArray());
            actual.put("cls_last4", f.clsLast().toFloatArray());
            actual.put("patch_mean_final", f.patchTokens().mean(new int[] {1}).toFloatArray());
            actual.put("attn_last_cls", f.attentionClsToPatches().toFloatArray());
            actual.put("tokens_final", f.tokens().toFloatArray());
            if (cfg.numRegisters() > 0) {
                actual.put("reg_final", f.registers().toFloatArray());
            }
            NDArray logits = vit.logits(f);
            if (logits != null) {
                actual.put("logits", logits.toFloatArray());
            }
            NDArray embeds = vit.imageEmbeds(f);
            if (embeds != null) {
                actual.put("image_embeds", embeds.toFloatArray());
            }
            assertThat(embeds != null).as("%s: a projection exactly where the reference has image_embeds", name).isEqualTo(exp.has("image_embeds"));
            float[][] angles = vit.ropeAngles(f.gridH(), f.gridW());
            if (angles != null) {
                int hd = cfg.headDim();
                float[] sin = new float[angles.length * hd];
                float[] cos = new float[angles.length * hd];
                for (int t = 0; t < angles.length; t++) {
                    for (int j = 0; j < hd; j++) {
                        sin[t * hd + j] = (float) Math.sin(angles[t][j]);
                        cos[t * hd + j] = (float) Math.cos(angles[t][j]);
                    }
                }
                actual.put("rope_sin", sin);
                actual.put("rope_cos", cos);
            }
            float[][] grid = vit.positionGrid(f.gridH(), f.gridW());
            if (grid != null) {
                float[] pos8 = new float[grid.length * 8];
                for (int i = 0; i < grid.length; i++) {
                    System.arraycopy(grid[i], 0, pos8, i * 8, 8);
                }
                actual.put("pos_embed_interp_c0_8", pos8);
            }

            int compared = 0;
            for (Map.Entry<String, float[]> e : actual.entrySet()) {
                if (!exp.has(e.getKey())) {
                    continue;
                }
                double err = Golden.relativeError(e.getValue(), Golden.flat(exp.get(e.getKey())));
                System.out.printf("%s %s rel.err %.2e%n", name, e.getKey(), err);
                assertThat(err).as("%s %s relative error", name, e.getKey()).isLessThanOrEqualTo(1e-4);
                compared++;
            }
            assertThat(compared).isGreaterThanOrEqualTo(4);
            for (String key : new String[] {"cls_final", "cls_last4", "patch_mean_final", "attn_last_cls"}) {
                assertThat(exp.has(key)).as(key).isTrue();
            }
        }
    }
}
