package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.Golden;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FeaturesCommandTest {

    /** A golden case directory (testdata/golden; a missing one fails), via core's test helper. */
    static Path golden(String name) {
        return dev.unmask.core.Golden.dir(name);
    }

    static double[] flat(JsonNode n) {
        return dev.unmask.core.Golden.flat(n);
    }

    static double relErr(double[] a, double[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    static List<String> vitCases() {
        return Golden.cases(Golden.Family.VIT);
    }

    static List<String> convNetCases() {
        return Golden.cases(Golden.Family.CONVNET);
    }

    @ParameterizedTest(name = "unmask features --json reproduces {0}")
    @MethodSource("vitCases")
    void jsonOutputMatchesGoldenCase(String name) throws Exception {
        Path dir = golden(name);
        CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", dir.resolve("input.png").toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode got = new ObjectMapper().readTree(r.out());
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        for (String key : new String[] {"cls_final", "cls_last4", "patch_mean_final", "attn_last_cls", "reg_final", "logits", "image_embeds"}) {
            if (exp.has(key)) {
                assertThat(got.has(key)).as(key).isTrue();
                assertThat(relErr(flat(got.get(key)), flat(exp.get(key)))).as(key).isLessThanOrEqualTo(1e-4);
            }
        }
        assertThat(got.get("cls_last4").size()).isEqualTo(exp.get("cls_last4").size());
        assertThat(got.get("attn_last_cls").size()).isEqualTo(exp.get("attn_last_cls").size());
    }

    @ParameterizedTest(name = "unmask features --json reproduces ConvNet {0}")
    @MethodSource("convNetCases")
    void convNetJsonOutputMatchesGoldenCase(String name) throws Exception {
        Path dir = golden(name);
        CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", dir.resolve("input.png").toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode got = new ObjectMapper().readTree(r.out());
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        for (String key : new String[] {"features", "logits"}) {
            assertThat(got.has(key)).as(key).isTrue();
            assertThat(relErr(flat(got.get(key)), flat(exp.get(key)))).as(key).isLessThanOrEqualTo(1e-4);
        }
    }

    static List<String> genDCases() {
        return Golden.cases(Golden.Family.GEND);
    }

    @ParameterizedTest(name = "unmask features --json on GenD detector {0} gives its features, logits and p_fake")
    @MethodSource("genDCases")
    void genDJsonOutputMatchesGoldenCase(String name) throws Exception {
        Path dir = golden(name);
        CliRun r = CliRun.of("features", "--backbone", dir.toString(), "--image", dir.resolve("input.png").toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode got = new ObjectMapper().readTree(r.out());
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        for (String key : new String[] {"features", "logits"}) {
            assertThat(got.has(key)).as(key).isTrue();
            double[] g = flat(got.get(key));
            double[] e = flat(exp.get(key));
            assertThat(g).as(key).hasSameSizeAs(e);
            for (int i = 0; i < e.length; i++) {
                assertThat(g[i]).as("%s[%d]", key, i).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4));
            }
        }
        assertThat(got.get("p_fake").asDouble()).isCloseTo(exp.get("p_fake").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        assertThat(got.has("cls_final")).isFalse();
    }

    @Test
    void genDFolderWithoutItsBackboneConfigSaysWhatIsMissing(@TempDir Path tmp) throws Exception {
        Path dir = Golden.copyModel("gend_dinov3_tiny", tmp.resolve("gend"));
        CliRun r = CliRun.of("features", "--backbone", dir.toString(), "--image", golden("gend_dinov3_tiny").resolve("input.png").toString(), "--json");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("backbone/config.json").contains("unmask-test/dinov3-tiny");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void genDPerceptionEncoderVariantIsRefusedInOneLine(@TempDir Path tmp) throws Exception {
        Path dir = Golden.copyModel("gend_dinov3_tiny", tmp.resolve("gend_pe"));
        Files.createDirectories(dir.resolve("backbone"));
        // GenD_PE_L names a timm Eva backbone, whose config has an architecture and no model_type.
        Files.writeString(dir.resolve("backbone/config.json"), "{\"architecture\": \"vit_pe_core_large_patch14_336\", \"num_classes\": 0}");
        CliRun r = CliRun.of("features", "--backbone", dir.toString(), "--image", golden("gend_dinov3_tiny").resolve("input.png").toString(), "--json");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("Perception Encoder");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void convNetCheckpointOfAnotherArchitectureNamesTheFirstMisfitTensor(@TempDir Path tmp) throws Exception {
        Path src = golden("effnet_b0");
        Path dir = tmp.resolve("b1-config-b0-weights");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"),
                Files.readString(src.resolve("config.json")).replace("\"efficientnet_b0\"", "\"efficientnet_b1\""));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", src.resolve("input.png").toString(), "--json");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("efficientnet_b1").containsPattern("tensor blocks\\.[0-9.]+\\w*");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void imageNotAMultipleOfThePatchSizeIsAUserError(@TempDir Path tmp) throws Exception {
        Path img = tmp.resolve("odd.png");
        ImageIO.write(new BufferedImage(50, 50, BufferedImage.TYPE_INT_RGB), "png", img.toFile());
        CliRun r = CliRun.of("features", "--model", golden("dinov2_orig_tiny_reg").toString(), "--image", img.toString(), "--json");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("multiple of the patch size 14");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void resizeMakesAnyImageFit(@TempDir Path tmp) throws Exception {
        Path img = tmp.resolve("odd.png");
        ImageIO.write(new BufferedImage(50, 61, BufferedImage.TYPE_INT_RGB), "png", img.toFile());
        CliRun r = CliRun.of("features", "--model", golden("dinov2_orig_tiny_reg").toString(), "--image", img.toString(),
                "--resize", "56", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(new ObjectMapper().readTree(r.out()).get("attn_last_cls").get(0).size()).isEqualTo(16);
    }

    @Test
    void missingImageAndModelAreOneLineErrors(@TempDir Path tmp) {
        CliRun noImage = CliRun.of("features", "--model", golden("mae_tiny").toString(), "--image", tmp.resolve("nope.png").toString());
        assertThat(noImage.exitCode()).isEqualTo(2);
        assertThat(noImage.errLines()).isEqualTo(1);
        CliRun noModel = CliRun.of("features", "--model", tmp.resolve("nothing").toString());
        assertThat(noModel.exitCode()).isEqualTo(2);
        assertThat(noModel.err()).contains("no such model directory");
        String old = System.getProperty("unmask.home");
        System.setProperty("unmask.home", tmp.resolve("empty-home").toString());
        try {
            CliRun notPulled = CliRun.of("features", "--model", "dinov2_vits14");
            assertThat(notPulled.exitCode()).isEqualTo(2);
            assertThat(notPulled.errLines()).isEqualTo(1);
            assertThat(notPulled.err()).contains("unmask pull dinov2_vits14");
        } finally {
            if (old == null) {
                System.clearProperty("unmask.home");
            } else {
                System.setProperty("unmask.home", old);
            }
        }
    }

    @Test
    void builtInDefaultRunsWithNoArguments(@TempDir Path home) {
        String old = System.getProperty("unmask.home");
        System.setProperty("unmask.home", home.toString());
        try {
            CliRun r = CliRun.of("features");
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains("cls_final  [384]").contains("dim 384, depth 12");
            assertThat(r.err()).contains("random weights");
            assertThat(home.resolve("builtin/demo_vits14_random/model.safetensors")).isRegularFile();
        } finally {
            if (old == null) {
                System.clearProperty("unmask.home");
            } else {
                System.setProperty("unmask.home", old);
            }
        }
    }
}
