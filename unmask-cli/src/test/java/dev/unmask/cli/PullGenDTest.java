package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.hub.FakeHub;
import dev.unmask.core.hub.HubSettings;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.GenDModel;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.ViTConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A user's three steps with a published GenD detector, against a Hub on 127.0.0.1 that serves the
 * golden GenD cases as GenD's Hub repos are laid out (config.json, model.safetensors, a model card)
 * and their backbone repos (config.json, preprocessor_config.json): {@code pull}, then
 * {@code detect --pre-cropped} by the repo's name, and the detector's provenance.
 */
class PullGenDTest {
    private static final String CARD = "---\nlicense: mit\ntags:\n- deepfake-detection\n---\n# GenD\n";

    @TempDir
    Path tmp;

    private FakeHub hub;
    private Path home;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        home = tmp.resolve("unmask-home");
        System.setProperty(HubSettings.ENDPOINT_PROPERTY, hub.endpoint());
        System.setProperty(HubSettings.HOME_PROPERTY, home.toString());
        System.setProperty(HubSettings.HF_CACHE_PROPERTY, tmp.resolve("hf-cache").toString());
        System.setProperty(HubSettings.TOKEN_PROPERTY, "");
    }

    @AfterEach
    void tearDown() {
        hub.close();
        for (String p : List.of(HubSettings.ENDPOINT_PROPERTY, HubSettings.HOME_PROPERTY, HubSettings.HF_CACHE_PROPERTY, HubSettings.TOKEN_PROPERTY)) {
            System.clearProperty(p);
        }
    }

    static List<String> genDCases() {
        return Golden.cases(Golden.Family.GEND);
    }

    /** Publishes a golden case as the GenD repo {@code repo} and its backbone repo; returns the GenD repo's commit. */
    private String publish(String name, String repo, boolean gatedBackbone) throws IOException {
        Path dir = Golden.dir(name);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", Files.readAllBytes(dir.resolve("config.json")));
        files.put("model.safetensors", Files.readAllBytes(dir.resolve("model.safetensors")));
        files.put("README.md", CARD.getBytes(StandardCharsets.UTF_8));
        String commit = hub.repo(repo).commit("main", files);
        Map<String, byte[]> backbone = new LinkedHashMap<>();
        for (String f : List.of("config.json", "preprocessor_config.json")) {
            Path p = dir.resolve("backbone").resolve(f);
            if (Files.isRegularFile(p)) {
                backbone.put(f, Files.readAllBytes(p));
            }
        }
        FakeHub.Repo bb = hub.repo(backboneRepo(name));
        bb.commit("main", backbone);
        if (gatedBackbone) {
            bb.gated("a-token-this-user-does-not-have");
        }
        return commit;
    }

    private static String backboneRepo(String name) {
        return StrictJson.read(Golden.dir(name).resolve("config.json")).get("backbone").asText();
    }

    private static List<JsonNode> jsonLines(String out) {
        return out.lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
    }

    @ParameterizedTest(name = "pull a GenD repo serving {0}, then detect --pre-cropped by its name gives the case's p_fake, with provenance")
    @MethodSource("genDCases")
    void pullThenDetectByRepoGivesTheReferenceScoreAndProvenance(String name) throws IOException {
        Path golden = Golden.dir(name);
        String repo = "unmask-test/GenD_" + name;
        String commit = publish(name, repo, false);

        CliRun pull = CliRun.of("pull", repo, "--json");
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        JsonNode report = StrictJson.parse(pull.out(), "pull --json");
        JsonSchemaTest.assertValid("pullReport", report);
        assertThat(report.get("commit").asText()).isEqualTo(commit);
        assertThat(report.at("/license/id").asText()).isEqualTo("mit");
        assertThat(report.at("/license/from").asText()).isEqualTo("model card");
        assertThat(report.at("/backbone/repo").asText()).isEqualTo(backboneRepo(name));
        assertThat(report.at("/backbone/source").asText()).isEqualTo("hub");
        assertThat(report.at("/backbone/commit").asText()).matches("[0-9a-f]{40}");
        assertThat(pull.err()).contains("GenD detector on backbone " + backboneRepo(name)).contains("licence: mit");
        Path dir = Path.of(report.get("directory").asText());
        assertThat(dir.resolve("backbone/config.json")).hasSameBinaryContentAs(golden.resolve("backbone/config.json"));

        hub.clearRequests();
        Path out = tmp.resolve("out");
        CliRun detect = CliRun.of("detect", golden.resolve("input.png").toString(), "--detector", repo, "--pre-cropped", "--json",
                "--explain", "--out", out.toString());
        assertThat(detect.exitCode()).as(detect.err()).isZero();
        assertThat(hub.requests()).as("using a pulled detector must not touch the network").isEmpty();
        List<JsonNode> lines = jsonLines(detect.out());
        assertThat(lines).hasSize(1);
        double expected = Golden.expected(name).get("p_fake").asDouble();
        assertThat(lines.get(0).get("score").asDouble()).isCloseTo(expected, Offset.offset(1e-4));
        assertThat(Path.of(lines.get(0).at("/explanation/overlays/0/file").asText())).isRegularFile();

        JsonNode batch = StrictJson.read(out.resolve("report.json"));
        JsonSchemaTest.assertValid("batchReport", batch);
        JsonNode source = batch.at("/detector/source");
        assertThat(source.get("repo").asText()).isEqualTo(repo);
        assertThat(source.get("commit").asText()).isEqualTo(commit);
        assertThat(source.get("license").asText()).isEqualTo("mit");
        assertThat(source.get("paper").asText()).contains("Deepfake Detection that Generalizes Across Benchmarks").contains("WACV 2026");
        assertThat(source.at("/backbone/repo").asText()).isEqualTo(backboneRepo(name));
        JsonNode files = source.get("files");
        assertThat(files.get("model.safetensors").asText()).isEqualTo(FakeHub.sha256(Files.readAllBytes(golden.resolve("model.safetensors"))));
        assertThat(files.get("config.json").asText()).isEqualTo(FakeHub.sha256(Files.readAllBytes(golden.resolve("config.json"))));
        assertThat(files.get("README.md").asText()).isEqualTo(FakeHub.sha256(CARD.getBytes(StandardCharsets.UTF_8)));
        assertThat(files.get("backbone/config.json").asText())
                .isEqualTo(FakeHub.sha256(Files.readAllBytes(golden.resolve("backbone/config.json"))));

        CliRun features = CliRun.of("features", "--backbone", repo, "--image", golden.resolve("input.png").toString(), "--json");
        assertThat(features.exitCode()).as(features.err()).isZero();
        JsonNode f = StrictJson.parse(features.out(), "features --json");
        assertThat(f.get("logits")).hasSize(2);
        assertThat(f.get("p_fake").asDouble()).isCloseTo(expected, Offset.offset(1e-4));
    }

    @Test
    void aGatedBackboneRepoFallsBackToTheConfigsShippedForIt() throws IOException {
        // Test resources ship configs for unmask-test/dinov3-tiny as Unmask ships those of the gated DINOv3 repos.
        String name = "gend_dinov3_tiny";
        assertThat(backboneRepo(name)).isEqualTo("unmask-test/dinov3-tiny");
        String repo = "unmask-test/GenD_gated_backbone";
        publish(name, repo, true);

        CliRun pull = CliRun.of("pull", repo, "--json");
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        assertThat(pull.err()).contains("denied access to the backbone repo unmask-test/dinov3-tiny (HTTP 401)");
        JsonNode report = StrictJson.parse(pull.out(), "pull --json");
        assertThat(report.at("/backbone/source").asText()).isEqualTo("unmask");
        assertThat(report.at("/backbone/commit").isNull()).isTrue();

        CliRun detect = CliRun.of("detect", Golden.dir(name).resolve("input.png").toString(), "--detector", repo, "--pre-cropped", "--json");
        assertThat(detect.exitCode()).as(detect.err()).isZero();
        assertThat(jsonLines(detect.out()).get(0).get("score").asDouble())
                .isCloseTo(Golden.expected(name).get("p_fake").asDouble(), Offset.offset(1e-4));
    }

    @Test
    void theRegistryEntriesPullTheirDetectorEvenWhenTheDinov3RepoIsGated() throws IOException {
        // The weights are not read by pull; a few bytes stand in for the 1.2 GB of the real ones.
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", ("{\"model_type\": \"GenD\", \"backbone\": \"facebook/dinov3-vitl16-pretrain-lvd1689m\", \"head\": \"linear\"}")
                .getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors", FakeHub.bytes(1000, 3));
        hub.repo("yermandy/GenD_DINOv3_L").commit("main", files);
        hub.repo("facebook/dinov3-vitl16-pretrain-lvd1689m").gated("someone-else");

        CliRun pull = CliRun.of("pull", "gend_dinov3_l16", "--json");
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        JsonNode report = StrictJson.parse(pull.out(), "pull --json");
        assertThat(report.get("repo").asText()).isEqualTo("yermandy/GenD_DINOv3_L");
        assertThat(report.at("/license/id").asText()).isEqualTo("unknown");
        Path dir = Path.of(report.get("directory").asText());
        for (String f : List.of("config.json", "preprocessor_config.json")) {
            try (InputStream shipped = dev.unmask.core.hub.BackboneRegistry.class.getResourceAsStream(
                    "backbone-configs/facebook--dinov3-vitl16-pretrain-lvd1689m/" + f)) {
                assertThat(shipped).as(f).isNotNull();
                assertThat(Files.readAllBytes(dir.resolve("backbone").resolve(f))).isEqualTo(shipped.readAllBytes());
            }
        }
        // The shipped configs describe DINOv3 ViT-L/16 as the loader reads it.
        ModelDirectory md = ModelDirectory.open(dir);
        ViTConfig c = GenDModel.backboneSpec(md).config();
        assertThat(c.embedDim()).isEqualTo(1024);
        assertThat(c.depth()).isEqualTo(24);
        assertThat(c.patchSize()).isEqualTo(16);
        assertThat(GenDModel.inputSize(md, c)).isEqualTo(224);
    }

    @Test
    void theClipRegistryEntryShipsConfigsTheLoaderReadsAsClipViTL14() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", ("{\"model_type\": \"GenD\", \"backbone\": \"openai/clip-vit-large-patch14\", \"head\": \"LinearNorm\"}")
                .getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors", FakeHub.bytes(1000, 4));
        hub.repo("yermandy/GenD_CLIP_L_14").commit("main", files);
        hub.repo("openai/clip-vit-large-patch14").gated("someone-else");

        CliRun pull = CliRun.of("pull", "gend_clip_l14");
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        ModelDirectory md = ModelDirectory.open(Path.of(pull.out().strip()));
        ViTConfig c = GenDModel.backboneSpec(md).config();
        assertThat(c.embedDim()).isEqualTo(1024);
        assertThat(c.depth()).isEqualTo(24);
        assertThat(c.patchSize()).isEqualTo(14);
        assertThat(GenDModel.inputSize(md, c)).isEqualTo(224);
    }

    @Test
    void thePerceptionEncoderVariantIsRefusedInOneLineWithoutDownloading() throws IOException {
        CliRun byName = CliRun.of("pull", "gend_pe_l");
        assertThat(byName.exitCode()).isEqualTo(2);
        assertThat(byName.errLines()).isEqualTo(1);
        assertThat(byName.err()).contains("Perception Encoder").doesNotContain("Exception");
        CliRun byRepo = CliRun.of("pull", "yermandy/GenD_PE_L");
        assertThat(byRepo.exitCode()).isEqualTo(2);
        assertThat(byRepo.errLines()).isEqualTo(1);
        assertThat(hub.requests()).isEmpty();

        // Another repo of that variant names a timm model as its backbone: refused before the weights come.
        hub.repo("someone/GenD_PE_copy").commit("main", Map.of(
                "config.json", "{\"model_type\": \"GenD\", \"backbone\": \"vit_pe_core_large_patch14_336\", \"head\": \"linear\"}"
                        .getBytes(StandardCharsets.UTF_8),
                "model.safetensors", FakeHub.bytes(1000, 5)));
        CliRun copy = CliRun.of("pull", "someone/GenD_PE_copy");
        assertThat(copy.exitCode()).isEqualTo(2);
        // As for any pull that fails: the files already done (here the config) as indented lines, then the error as one line.
        List<String> lines = copy.err().lines().toList();
        assertThat(lines.get(lines.size() - 1)).startsWith("unmask: ").contains("Perception Encoder");
        assertThat(lines.subList(0, lines.size() - 1)).as(copy.err()).allSatisfy(l -> assertThat(l).startsWith("  ").contains("config.json"));
        assertThat(hub.requests("cdn", "GET")).isEmpty();
    }

    @Test
    void aDetectorNameNotPulledYetSaysWhichPullFixesIt() {
        for (String command : List.of("detect", "eval", "serve")) {
            CliRun r = switch (command) {
                case "detect" -> CliRun.of("detect", "x.png", "--detector", "gend_clip_l14", "--pre-cropped");
                case "eval" -> CliRun.of("eval", "--detector", "gend_clip_l14", "--test", "list.csv", "--out", "eval-out");
                default -> CliRun.of("serve", "--detector", "gend_clip_l14", "--port", "0");
            };
            assertThat(r.exitCode()).as(command + ": " + r.err()).isEqualTo(2);
            assertThat(r.errLines()).as(command + ": " + r.err()).isEqualTo(1);
            assertThat(r.err()).as(command).contains("unmask pull gend_clip_l14");
        }
    }

    @Test
    void calibratingAPulledGenDDetectorWritesAFolderThatDetectAndEvalUse() throws IOException {
        String name = "gend_clip_tiny";
        String repo = "unmask-test/GenD_calibrate";
        publish(name, repo, false);
        assertThat(CliRun.of("pull", repo).exitCode()).isZero();

        // Four labelled crops: the case's input and three of its rotations.
        Path root = tmp.resolve("crops");
        Files.createDirectories(root);
        BufferedImage image = ImageIO.read(Golden.dir(name).resolve("input.png").toFile());
        StringBuilder list = new StringBuilder();
        for (int k = 0; k < 4; k++) {
            ImageIO.write(rotate(image, k), "png", root.resolve("crop" + k + ".png").toFile());
            list.append("crop").append(k).append(".png,").append(k % 2).append('\n');
        }
        Path csv = tmp.resolve("val.csv");
        Files.writeString(csv, list);

        Path refused = tmp.resolve("calibrated.unmask");
        CliRun wrongOut = CliRun.of("calibrate", "--detector", repo, "--val", csv.toString(), "--root", root.toString(), "--out", refused.toString());
        assertThat(wrongOut.exitCode()).isEqualTo(2);
        assertThat(wrongOut.err()).contains("folder");

        Path calibrated = tmp.resolve("calibrated");
        CliRun c = CliRun.of("calibrate", "--detector", repo, "--val", csv.toString(), "--root", root.toString(), "--out", calibrated.toString(), "--json");
        assertThat(c.exitCode()).as(c.err()).isZero();
        JsonNode cal = StrictJson.parse(c.out(), "calibrate --json");
        JsonSchemaTest.assertValid("calibrationReport", cal);
        assertThat(cal.get("before").asDouble()).isEqualTo(0.5);
        double threshold = cal.get("threshold").asDouble();
        JsonNode sidecar = StrictJson.read(calibrated.resolve("unmask-calibration.json"));
        assertThat(sidecar.get("threshold").asDouble()).isEqualTo(threshold);
        Path pulled = Path.of(CliRun.of("pull", repo).out().strip());
        assertThat(Files.isSameFile(calibrated.resolve("model.safetensors"), pulled.resolve("model.safetensors")))
                .as("the weights are hard-linked, not copied").isTrue();

        Path out = tmp.resolve("detect-out");
        CliRun detect = CliRun.of("detect", root.resolve("crop0.png").toString(), "--detector", calibrated.toString(), "--pre-cropped", "--json",
                "--out", out.toString());
        assertThat(detect.exitCode()).as(detect.err()).isZero();
        assertThat(jsonLines(detect.out()).get(0).get("threshold").asDouble()).isEqualTo(threshold);
        JsonNode batch = StrictJson.read(out.resolve("report.json"));
        JsonSchemaTest.assertValid("batchReport", batch);
        assertThat(batch.at("/detector/threshold").asDouble()).isEqualTo(threshold);
        assertThat(batch.at("/detector/source/repo").asText()).isEqualTo(repo);

        CliRun eval = CliRun.of("eval", "--detector", calibrated.toString(), "--test", csv.toString(), "--root", root.toString(), "--json",
                "--out", tmp.resolve("eval-out").toString());
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        JsonNode metrics = StrictJson.parse(eval.out(), "eval --json");
        assertThat(metrics.at("/detector/threshold").asDouble()).isEqualTo(threshold);
        assertThat(metrics.at("/pooled/frame/auc").asDouble()).isCloseTo(cal.get("auc").asDouble(), Offset.offset(1e-9));
    }

    @Test
    void aGenDRepoInTheHuggingFaceCacheGetsItsBackboneConfigsFromTheHub() throws IOException {
        String name = "gend_dinov3_tiny";
        Path golden = Golden.dir(name);
        String repo = "unmask-test/GenD_in_hf_cache";
        // Only the backbone repo is on the Hub; the detector's own files are in the Hugging Face cache, laid out as huggingface_hub does.
        publish(name, "unmask-test/unused", false);
        String commit = "0123456789abcdef0123456789abcdef01234567";
        FakeHub.writeHuggingFaceSnapshot(tmp.resolve("hf-cache"), repo, commit, Map.of("config.json", Files.readAllBytes(golden.resolve("config.json")),
                "model.safetensors", Files.readAllBytes(golden.resolve("model.safetensors")), "README.md", CARD.getBytes(StandardCharsets.UTF_8)));

        CliRun pull = CliRun.of("pull", repo, "--json");
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        JsonNode report = StrictJson.parse(pull.out(), "pull --json");
        assertThat(report.get("origin").asText()).isEqualTo("hugging-face-cache");
        assertThat(report.at("/license/id").asText()).isEqualTo("mit");
        assertThat(report.at("/backbone/source").asText()).isEqualTo("hub");
        assertThat(hub.requests("cdn", "GET")).as("the detector's weights come from the cache").isEmpty();

        CliRun detect = CliRun.of("detect", golden.resolve("input.png").toString(), "--detector", repo, "--pre-cropped", "--json");
        assertThat(detect.exitCode()).as(detect.err()).isZero();
        assertThat(jsonLines(detect.out()).get(0).get("score").asDouble())
                .isCloseTo(Golden.expected(name).get("p_fake").asDouble(), Offset.offset(1e-4));
    }

    @Test
    void aPulledDetectorWhoseFileChangedIsRefusedInOneLine() throws IOException {
        String name = "gend_clip_tiny";
        String repo = "unmask-test/GenD_tampered";
        publish(name, repo, false);
        CliRun pull = CliRun.of("pull", repo);
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        Path config = Path.of(pull.out().strip()).resolve("backbone/config.json");
        String text = Files.readString(config);
        Files.delete(config);
        // Same size, other bytes: the layer norm's eps one digit off.
        Files.writeString(config, text.replace("1e-05", "2e-05"));

        CliRun detect = CliRun.of("detect", Golden.dir(name).resolve("input.png").toString(), "--detector", repo, "--pre-cropped", "--json");
        assertThat(detect.exitCode()).isEqualTo(2);
        assertThat(detect.errLines()).as(detect.err()).isEqualTo(1);
        assertThat(detect.err()).contains("backbone/config.json has changed since it was pulled");
    }

    private static BufferedImage rotate(BufferedImage in, int quarterTurns) {
        int w = in.getWidth();
        int h = in.getHeight();
        BufferedImage out = new BufferedImage(quarterTurns % 2 == 0 ? w : h, quarterTurns % 2 == 0 ? h : w, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = in.getRGB(x, y);
                switch (quarterTurns) {
                    case 0 -> out.setRGB(x, y, rgb);
                    case 1 -> out.setRGB(h - 1 - y, x, rgb);
                    case 2 -> out.setRGB(w - 1 - x, h - 1 - y, rgb);
                    default -> out.setRGB(y, w - 1 - x, rgb);
                }
            }
        }
        return out;
    }
}
