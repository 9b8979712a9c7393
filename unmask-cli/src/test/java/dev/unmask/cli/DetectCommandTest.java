package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.Golden;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.TestMedia;
import dev.unmask.media.face.FaceDetectorKind;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * unmask detect on real media: photos and an ffmpeg-made video with a face, a photo without one,
 * and broken files in the same batch; JSON lines, report, overlays and contact sheets; the crop
 * contract check. The detectors are tiny and barely trained: what is checked here is what
 * detect does with their scores, not how good they are (HeatInRegionTest judges explanations).
 */
class DetectCommandTest {
    @TempDir
    static Path dir;
    static Path probe;
    static Path finetune;
    static Path undeclared;
    static Map<String, Object> blazeFaceContract;

    @BeforeAll
    static void detectors() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        Path root = dir.resolve("faces");
        SplittableRandom r = new SplittableRandom(3);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            String rel = (i % 2 == 0 ? "real/" : "fake/") + i + ".png";
            Files.createDirectories(root.resolve(rel).getParent());
            ImageIO.write(FaceSet.face(r, i % 2 == 1), "png", root.resolve(rel).toFile());
            list.append(rel).append(',').append(i % 2).append('\n');
        }
        Files.writeString(dir.resolve("list.csv"), list.toString());
        try (FacePipeline p = FacePipeline.open(FaceDetectorKind.BLAZEFACE, PipelineConfig.DEFAULT)) {
            blazeFaceContract = p.contract().toMap();
        }
        // As unmask extract writes it: the contract under "crop_contract" among other settings.
        ObjectNode extractJson = StrictJson.mapper().createObjectNode();
        extractJson.put("frames", 32);
        extractJson.set("crop_contract", StrictJson.mapper().valueToTree(blazeFaceContract));
        // Away from the lists, so that a training without --crop-contract does not find it.
        Files.createDirectories(dir.resolve("extraction"));
        Files.writeString(dir.resolve("extraction/extract.json"), extractJson.toString());
        Files.writeString(dir.resolve("contract.json"), StrictJson.mapper().writeValueAsString(blazeFaceContract));

        probe = train("probe.unmask", "--approach", "probe", "--epochs", "2", "--crop-contract",
                dir.resolve("extraction/extract.json").toString());
        finetune = train("finetune.unmask", "--approach", "finetune", "--epochs", "1", "--crop-contract", dir.resolve("contract.json").toString());
        undeclaredTraining = trainRun(dir.resolve("list.csv"), "undeclared.unmask", "--approach", "probe", "--epochs", "1");
        undeclared = dir.resolve("undeclared.unmask");
    }

    static CliRun undeclaredTraining;

    static Path train(String name, String... extra) {
        trainRun(dir.resolve("list.csv"), name, extra);
        return dir.resolve(name);
    }

    static CliRun trainRun(Path list, String name, String... extra) {
        Path out = dir.resolve(name);
        List<String> a = new ArrayList<>(List.of("train", "--backbone", dir.resolve("tiny_reg").toString(), "--train", list.toString(),
                "--val", list.toString(), "--root", dir.resolve("faces").toString(), "--out", out.toString(),
                "--cache", dir.resolve("cache").toString(), "--image-size", "56", "--batch", "8"));
        a.addAll(List.of(extra));
        CliRun t = CliRun.of(a.toArray(String[]::new));
        assertThat(t.exitCode()).as(t.err()).isZero();
        return t;
    }

    @Test
    void trainTakesTheCropContractFromTheExtractionItsListCameFromAndWarnsWithoutOne() throws Exception {
        // Without a contract anywhere: trained, with a warning that names the way out.
        assertThat(undeclaredTraining.err()).contains("warning: no crop contract").contains("--crop-contract").contains("--assume-crop");

        // A list in an extraction's folder, as unmask extract leaves it: the contract comes from its extract.json.
        Path extraction = dir.resolve("extraction");
        Files.copy(dir.resolve("list.csv"), extraction.resolve("train.csv"));
        CliRun t = trainRun(extraction.resolve("train.csv"), "from-extraction.unmask", "--approach", "probe", "--epochs", "1");
        assertThat(t.err()).contains("crop contract: " + extraction.resolve("extract.json")).doesNotContain("warning");
        CliRun r = CliRun.of("detect", TestMedia.photo("astronaut.png").toString(), "--detector", dir.resolve("from-extraction.unmask").toString(),
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(jsonLines(r).get(0).path("verdict").asText()).isIn("fake", "real");
    }

    static List<JsonNode> jsonLines(CliRun r) {
        return r.out().lines().filter(l -> !l.isBlank()).map(l -> StrictJson.parse(l, "line")).toList();
    }

    @Test
    void aBatchOfImagesVideosAndBrokenFilesGivesAVerdictPerFileInOrder() throws Exception {
        Path face = TestMedia.photo("astronaut.png");
        Path noFace = TestMedia.photo("coffee.png");
        Path video = TestMedia.astronautMp4();
        Path zero = TestMedia.write(dir.resolve("broken/zero.mp4"), new byte[0]);
        Path text = TestMedia.write(dir.resolve("broken/notes.mp4"), "not a video at all\n".getBytes());
        byte[] whole = Files.readAllBytes(video);
        Path truncated = TestMedia.write(dir.resolve("broken/truncated.mp4"), Arrays.copyOf(whole, whole.length / 3));
        Path missing = dir.resolve("broken/gone.mp4");
        Path out = dir.resolve("out-batch");
        CliRun r = CliRun.of("detect", face.toString(), zero.toString(), noFace.toString(), text.toString(), video.toString(), truncated.toString(),
                missing.toString(), "--detector", finetune.toString(), "--json", "--explain", "--out", out.toString(), "--frames", "6");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        List<JsonNode> lines = jsonLines(r);
        assertThat(lines).extracting(l -> l.path("path").asText()).containsExactly(face.toString(), zero.toString(), noFace.toString(),
                text.toString(), video.toString(), truncated.toString(), missing.toString());
        for (JsonNode l : lines) {
            for (String k : new String[] {"path", "verdict", "score", "frames", "faces", "error"}) {
                assertThat(l.has(k)).as(k + " in " + l).isTrue();
            }
        }

        JsonNode image = lines.get(0);
        assertThat(image.path("verdict").asText()).isIn("fake", "real");
        assertThat(image.path("error").isNull()).isTrue();
        assertThat(image.path("frames").asInt()).isEqualTo(1);
        assertThat(image.path("faces").asInt()).isEqualTo(1);
        double threshold = image.path("threshold").asDouble();
        assertThat(image.path("verdict").asText()).isEqualTo(image.path("score").asDouble() >= threshold ? "fake" : "real");
        JsonNode box = image.path("frame_scores").get(0).path("box");
        // The astronaut's face is in the upper middle of the 512×512 photo.
        assertThat(box.path("x").asDouble() + box.path("width").asDouble() / 2).isBetween(180.0, 300.0);
        assertThat(box.path("y").asDouble() + box.path("height").asDouble() / 2).isBetween(60.0, 200.0);

        JsonNode v = lines.get(4);
        assertThat(v.path("verdict").asText()).isIn("fake", "real");
        assertThat(v.path("frames").asInt()).isEqualTo(6);
        assertThat(v.path("frames_with_faces").asInt()).isEqualTo(6);
        assertThat(v.path("frame_scores")).hasSize(6);
        double mean = 0;
        for (JsonNode f : v.path("frame_scores")) {
            mean += f.path("score").asDouble() / 6;
        }
        assertThat(v.path("score").asDouble()).as("video score = mean of its frames' scores").isCloseTo(mean, within(1e-6));
        assertThat(v.path("timings").path("decode_s").asDouble()).isPositive();
        assertThat(v.path("timings").path("model_s").asDouble()).isPositive();
        assertThat(v.path("media").path("codec").asText()).isEqualTo("h264");

        assertThat(lines.get(2).path("verdict").asText()).isEqualTo("no_face");
        assertThat(lines.get(2).path("score").isNull()).isTrue();
        assertThat(lines.get(2).path("error").isNull()).isTrue();
        for (int i : new int[] {1, 3, 6}) {
            assertThat(lines.get(i).path("verdict").asText()).as(lines.get(i).toString()).isEqualTo("error");
            assertThat(lines.get(i).path("error").asText()).isNotBlank().doesNotContain("\n");
        }
        assertThat(lines.get(6).path("error").asText()).contains("no such file");
        // Half a file: the frames that are whole, or a clear error; never a crash of the batch.
        JsonNode t = lines.get(5);
        assertThat(t.path("verdict").asText().equals("error") ? t.path("error").asText() : "ok").isNotBlank();

        JsonNode report = StrictJson.read(out.resolve("report.json"));
        assertThat(report.path("files")).hasSize(7);
        assertThat(report.path("summary").path("error").asInt()).isEqualTo(lines.stream().filter(l -> l.path("verdict").asText().equals("error")).count());
        assertThat(report.path("settings").path("explanation_method").asText()).isEqualTo("cls-attention");
        assertThat(report.path("detector").path("crop_contract_declared").asBoolean()).isTrue();

        for (int i : new int[] {0, 4}) {
            JsonNode e = lines.get(i).path("explanation");
            assertThat(e.path("method").asText()).isEqualTo("cls-attention");
            int crops = lines.get(i).path("frame_scores").size();
            assertThat(e.path("overlays")).hasSize(Math.min(3, crops));
            double previous = Double.POSITIVE_INFINITY;
            for (JsonNode o : e.path("overlays")) {
                BufferedImage png = ImageIO.read(Path.of(o.path("file").asText()).toFile());
                assertThat(png.getWidth()).isEqualTo(2 * 224);
                assertThat(o.path("heat_grid")).hasSize(4);
                assertThat(o.path("score").asDouble()).as("most suspicious first").isLessThanOrEqualTo(previous);
                previous = o.path("score").asDouble();
            }
            assertThat(ImageIO.read(Path.of(e.path("contact_sheet").asText()).toFile())).isNotNull();
        }
        assertThat(lines.get(2).path("explanation").path("overlays")).isEmpty();
        assertThat(Path.of(lines.get(2).path("explanation").path("contact_sheet").asText())).isRegularFile();
        try (var files = Files.walk(out)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".")).toList()).as("no temporary files left").isEmpty();
        }
    }

    @Test
    void explanationsFollowHowTheDetectorWasTrained() throws Exception {
        Path out = dir.resolve("out-probe");
        CliRun r = CliRun.of("detect", TestMedia.photo("astronaut.png").toString(), "--detector", probe.toString(), "--explain", "--out",
                out.toString(), "--explain-top", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("^(fake|real) +0\\.\\d{3}  .*astronaut\\.png");
        JsonNode report = StrictJson.read(out.resolve("report.json"));
        // A frozen backbone's attention does not depend on the head: the probe is explained by gradients.
        assertThat(report.path("settings").path("explanation_method").asText()).isEqualTo("grad-attention");
        JsonNode overlay = report.path("files").get(0).path("explanation").path("overlays").get(0);
        assertThat(Path.of(overlay.path("file").asText())).isRegularFile();
        double max = 0;
        double min = 1;
        for (JsonNode row : overlay.path("heat_grid")) {
            for (JsonNode v : row) {
                max = Math.max(max, v.asDouble());
                min = Math.min(min, v.asDouble());
            }
        }
        assertThat(max).as("min-max normalised").isEqualTo(1.0);
        assertThat(min).isEqualTo(0.0);
    }

    @Test
    void everyFaceIsScoredAsItsOwnPersonAndTheMostSuspiciousDecides() {
        // The astronaut next to her mirror image: two faces in every frame.
        Path two = TestMedia.video("two-faces.mp4", "-loop", "1", "-framerate", "25", "-t", "1", "-i", TestMedia.photo("astronaut.png").toString(),
                "-filter_complex", "[0:v]split[a][b];[b]hflip[c];[a][c]hstack=inputs=2,scale=640:320,format=yuv420p", "-c:v", "libx264",
                "-preset", "veryfast");
        CliRun all = CliRun.of("detect", two.toString(), "--detector", finetune.toString(), "--json", "--faces", "all", "--frames", "4");
        assertThat(all.exitCode()).as(all.err()).isZero();
        JsonNode l = jsonLines(all).get(0);
        assertThat(l.path("faces").asInt()).isEqualTo(2);
        assertThat(l.path("frame_scores")).hasSize(8);
        double best = 0;
        for (JsonNode track : l.path("face_scores")) {
            double mean = 0;
            int n = 0;
            for (JsonNode f : l.path("frame_scores")) {
                if (f.path("track").asInt() == track.path("track").asInt()) {
                    mean += f.path("score").asDouble();
                    n++;
                }
            }
            assertThat(n).isEqualTo(4);
            assertThat(track.path("score").asDouble()).isCloseTo(mean / n, within(1e-6));
            best = Math.max(best, mean / n);
        }
        assertThat(l.path("score").asDouble()).isCloseTo(best, within(1e-6));

        CliRun largest = CliRun.of("detect", two.toString(), "--detector", finetune.toString(), "--json", "--frames", "4");
        assertThat(jsonLines(largest).get(0).path("faces").asInt()).isEqualTo(1);
    }

    @Test
    void aNonFiniteScoreIsAnErrorNotAVerdict() throws Exception {
        // Finite weights so large that the logits overflow: the file loads, the scores are NaN.
        Path overflowing = dir.resolve("overflowing.unmask");
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(); Detector d = Detector.load(probe, null, m)) {
            Map<String, float[]> values = d.head().values();
            float[] w = values.get("head.weight");
            for (int i = 0; i < w.length; i++) {
                w[i] = (i % 2 == 0 ? 3e38f : -3e38f);
            }
            try (var head = dev.unmask.core.head.Head.of(d.head().spec(), values, m)) {
                Detector.write(overflowing, (ObjectNode) d.manifest().deepCopy(), head, Map.of());
            }
        }
        CliRun r = CliRun.of("detect", TestMedia.photo("astronaut.png").toString(), TestMedia.photo("coffee.png").toString(), "--detector",
                overflowing.toString(), "--json");
        assertThat(r.exitCode()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        List<JsonNode> lines = jsonLines(r);
        assertThat(lines.get(0).path("verdict").asText()).isEqualTo("error");
        assertThat(lines.get(0).path("error").asText()).contains("non-finite score");
        assertThat(lines.get(0).path("score").isNull()).isTrue();
        assertThat(lines.get(1).path("verdict").asText()).isEqualTo("no_face");
    }

    @Test
    void aDetectorTrainedOnEyeAlignedCropsMakesDetectAlignAndHaarWithEyesIsRefused() throws Exception {
        String image = TestMedia.photo("astronaut.png").toString();
        Map<String, Object> eyes = new java.util.LinkedHashMap<>(blazeFaceContract);
        eyes.put("alignment", "eyes:opencv-linear");
        Path contract = dir.resolve("contract-eyes.json");
        Files.writeString(contract, StrictJson.mapper().writeValueAsString(eyes));
        Path aligned = train("eyes.unmask", "--approach", "probe", "--epochs", "1", "--crop-contract", contract.toString());
        Path out = dir.resolve("out-eyes");
        CliRun r = CliRun.of("detect", image, "--detector", aligned.toString(), "--json", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(jsonLines(r).get(0).path("verdict").asText()).isIn("fake", "real");
        JsonNode report = StrictJson.read(out.resolve("report.json"));
        assertThat(report.path("detector").path("crop_contract").path("alignment").asText()).isEqualTo("eyes:opencv-linear");

        Map<String, Object> haarEyes = new java.util.LinkedHashMap<>(eyes);
        haarEyes.put("detector", "haar-frontalface-alt2:opencv-4.11.0");
        Path haarContract = dir.resolve("contract-haar-eyes.json");
        Files.writeString(haarContract, StrictJson.mapper().writeValueAsString(haarEyes));
        Path haar = train("haar-eyes.unmask", "--approach", "probe", "--epochs", "1", "--crop-contract", haarContract.toString());
        CliRun refused = CliRun.of("detect", image, "--detector", haar.toString());
        assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
        assertThat(refused.errLines()).as(refused.err()).isEqualTo(1);
        assertThat(refused.err()).contains("finds no eyes");
    }

    @Test
    void aDetectorWhoseCropsDetectCannotMakeIsRefusedInOneLine() throws Exception {
        String image = TestMedia.photo("astronaut.png").toString();
        CliRun r = CliRun.of("detect", image, "--detector", undeclared.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("--crop-contract").contains("--assume-crop");
        CliRun assumed = CliRun.of("detect", image, "--detector", undeclared.toString(), "--assume-crop", "--json");
        assertThat(assumed.exitCode()).as(assumed.err()).isZero();
        assertThat(jsonLines(assumed).get(0).path("verdict").asText()).isIn("fake", "real");

        Map<String, Object> otherModel = new java.util.LinkedHashMap<>(blazeFaceContract);
        otherModel.put("detector", "blazeface-full-range:sha256:" + "0".repeat(64));
        Map<String, Object> dlib = new java.util.LinkedHashMap<>(blazeFaceContract);
        dlib.put("detector", "dlib-hog-frontal");
        Map<String, Object> jpeg = new java.util.LinkedHashMap<>(blazeFaceContract);
        jpeg.put("crop_format", "jpeg-q95");
        Map<String, Object> kernel = new java.util.LinkedHashMap<>(blazeFaceContract);
        kernel.put("resize_kernel", "pil-bilinear");
        Object[][] cases = {{otherModel, "detector"}, {dlib, "dlib-hog-frontal"}, {jpeg, "crop_format"}, {kernel, "pil-bilinear"}};
        for (Object[] c : cases) {
            Path contract = dir.resolve("contract-" + c[1] + ".json");
            Files.writeString(contract, StrictJson.mapper().writeValueAsString(c[0]));
            Path d = train("refused-" + c[1] + ".unmask", "--approach", "probe", "--epochs", "1", "--crop-contract", contract.toString());
            CliRun refused = CliRun.of("detect", image, "--detector", d.toString(), "--assume-crop");
            assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
            assertThat(refused.errLines()).as(refused.err()).isEqualTo(1);
            assertThat(refused.err()).contains((String) c[1]).doesNotContain("Exception");
        }

        CliRun noDetector = CliRun.of("detect", image, "--detector", dir.resolve("nothing.unmask").toString());
        assertThat(noDetector.exitCode()).isEqualTo(2);
        assertThat(noDetector.err()).contains("no such detector file");
        CliRun badFaces = CliRun.of("detect", image, "--detector", probe.toString(), "--faces", "some");
        assertThat(badFaces.exitCode()).isEqualTo(2);
        assertThat(badFaces.errLines()).isEqualTo(1);
    }

    @Test
    void anEmptyFolderInABatchIsThatItemsErrorAndTheOtherFilesAreJudged() throws Exception {
        Path face = TestMedia.photo("astronaut.png");
        Path empty = Files.createDirectories(dir.resolve("batch-folders/empty"));
        Path folder = Files.createDirectories(dir.resolve("batch-folders/photos"));
        Path inFolder = Files.copy(TestMedia.photo("coffee.png"), folder.resolve("coffee.png"));
        CliRun r = CliRun.of("detect", face.toString(), empty.toString(), folder.toString(), "--detector", probe.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        List<JsonNode> lines = jsonLines(r);
        assertThat(lines).extracting(l -> l.path("path").asText()).containsExactly(face.toString(), empty.toString(), inFolder.toString());
        assertThat(lines.get(0).path("verdict").asText()).isIn("fake", "real");
        assertThat(lines.get(1).path("verdict").asText()).isEqualTo("error");
        assertThat(lines.get(1).path("error").asText()).isEqualTo(empty + ": no videos or images in this folder");
        assertThat(lines.get(2).path("verdict").asText()).isEqualTo("no_face");
        assertThat(r.err()).contains("1 error");
    }

    @Test
    void theModelStartsOnAVideosFirstFacesWhileLaterFramesAreStillBeingDecoded() {
        CliRun r = CliRun.of("detect", TestMedia.astronautMp4().toString(), "--detector", finetune.toString(), "--json", "--frames", "16",
                "--batch", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode t = jsonLines(r).get(0).path("timings");
        assertThat(t.path("first_model_at_s").asDouble()).as(t.toString()).isLessThan(t.path("decoded_at_s").asDouble());
    }

    @Test
    void aFolderRunKeepsEachResultAsItGoesAndAResumedRunRedoesNoFinishedFile() throws Exception {
        Path folder = dir.resolve("many");
        Files.createDirectories(folder.resolve("clips"));
        Files.copy(TestMedia.photo("astronaut.png"), folder.resolve("a_astronaut.png"));
        Files.copy(TestMedia.photo("coffee.png"), folder.resolve("b_coffee.png"));
        Files.copy(TestMedia.photo("camera.png"), folder.resolve("c_camera.png"));
        Files.copy(TestMedia.astronautMp4(), folder.resolve("clips/d_astronaut.mp4"));
        Files.writeString(folder.resolve("clips/e_notes.mp4"), "not a video\n");
        int n = 5;

        Path whole = dir.resolve("out-whole");
        CliRun full = detectInto(folder, whole);
        assertThat(full.exitCode()).as(full.err()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        assertThat(full.err()).contains("detect: 5 files in").doesNotContain("done before").doesNotContain("\r");
        List<String> wholeLines = Files.readAllLines(whole.resolve("reports.jsonl"));
        assertThat(wholeLines).hasSize(n);
        assertThat(StrictJson.parse(wholeLines.get(3), "line").path("source").path("size").asLong()).isEqualTo(Files.size(TestMedia.astronautMp4()));
        List<JsonNode> wholeFiles = filesOf(whole);
        assertThat(wholeFiles).extracting(f -> Path.of(f.path("path").asText()).getFileName().toString())
                .containsExactly("a_astronaut.png", "b_coffee.png", "c_camera.png", "d_astronaut.mp4", "e_notes.mp4");
        assertThat(wholeFiles).extracting(f -> f.path("verdict").asText()).element(4).isEqualTo("error");
        assertThat(jsonLines(full)).hasSize(n);

        // Killed while writing the third record: two whole lines and half of one.
        Path killed = dir.resolve("out-killed");
        Files.createDirectories(killed);
        Files.copy(whole.resolve("run.json"), killed.resolve("run.json"));
        String torn = wholeLines.get(2).substring(0, wholeLines.get(2).length() / 2);
        Files.writeString(killed.resolve("reports.jsonl"), wholeLines.get(0) + "\n" + wholeLines.get(1) + "\n" + torn);
        CliRun resumed = detectInto(folder, killed, "--resume");
        assertThat(resumed.exitCode()).as(resumed.err()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        assertThat(resumed.err()).contains("detect: 5 files in").contains("(2 done before, 3 now)");
        List<String> killedLines = Files.readAllLines(killed.resolve("reports.jsonl"));
        assertThat(killedLines).hasSize(n).allSatisfy(l -> StrictJson.parse(l, "line"));
        // Their records are as the first run wrote them (a redone file would have new timings).
        assertThat(killedLines.subList(0, 2)).isEqualTo(wholeLines.subList(0, 2));
        assertThat(killedLines.get(2)).isNotEqualTo(wholeLines.get(2));
        assertSameResults(filesOf(killed), wholeFiles);
        // --json prints every file of the batch, in order, those of the earlier run included.
        List<JsonNode> printed = jsonLines(resumed);
        assertThat(printed).hasSize(n);
        assertThat(printed.subList(0, 2)).isEqualTo(jsonLines(full).subList(0, 2));
        assertSameResults(printed, jsonLines(full));

        // A run on part of the folder, then the whole folder resumed into the same place.
        Path part = dir.resolve("out-part");
        CliRun first = CliRun.of("detect", folder.resolve("c_camera.png").toString(), folder.resolve("clips/d_astronaut.mp4").toString(),
                "--detector", probe.toString(), "--frames", "4", "--out", part.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();
        List<String> partLines = Files.readAllLines(part.resolve("reports.jsonl"));
        CliRun again = detectInto(folder, part);
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.errLines()).as(again.err()).isEqualTo(1);
        assertThat(again.err()).startsWith("unmask: ").contains("--resume");
        CliRun otherSettings = CliRun.of("detect", folder.toString(), "--detector", probe.toString(), "--frames", "5", "--out", part.toString(),
                "--resume");
        assertThat(otherSettings.exitCode()).isEqualTo(2);
        assertThat(otherSettings.errLines()).as(otherSettings.err()).isEqualTo(1);
        assertThat(otherSettings.err()).contains("settings.frames 4 then, 5 now");
        CliRun rest = detectInto(folder, part, "--resume");
        assertThat(rest.err()).contains("(2 done before, 3 now)");
        assertThat(Files.readAllLines(part.resolve("reports.jsonl")).subList(0, 2)).isEqualTo(partLines);
        assertSameResults(filesOf(part), wholeFiles);

        // A file changed since its record was made is judged again; the others are not.
        Path coffee = folder.resolve("b_coffee.png");
        FileTime coffeeTime = Files.getLastModifiedTime(coffee);
        Files.setLastModifiedTime(coffee, FileTime.fromMillis(1_000_000_000_000L));
        CliRun changed = detectInto(folder, part, "--resume");
        assertThat(changed.err()).contains("(4 done before, 1 now)");
        assertThat(Files.readAllLines(part.resolve("reports.jsonl"))).hasSize(n + 1);
        assertSameResults(filesOf(part), wholeFiles);
        // Changed back, it is judged again too: its first record, made at this size and time, was superseded by the second.
        Files.setLastModifiedTime(coffee, coffeeTime);
        CliRun changedBack = detectInto(folder, part, "--resume");
        assertThat(changedBack.err()).contains("(4 done before, 1 now)");
        assertThat(Files.readAllLines(part.resolve("reports.jsonl"))).hasSize(n + 2);
        assertThat(liveRecords(part)).hasSize(n);
        assertSameResults(filesOf(part), wholeFiles);

        // An error that has since passed, with the file unchanged (a read error of the disk, say; written in by hand here, as
        // nothing a test running as root can cause and undo leaves the file's size and time alone): --resume keeps it,
        // --resume --retry-errors judges the failed files again, and each retried file's new record replaces its error.
        ObjectNode failed = (ObjectNode) StrictJson.parse(wholeLines.get(4), "line");
        JsonNode astronaut = StrictJson.parse(wholeLines.get(0), "line");
        failed.set("path", astronaut.path("path"));
        failed.put("error", astronaut.path("path").asText() + ": Input/output error");
        failed.set("source", astronaut.path("source"));
        Path transientError = dir.resolve("out-transient-error");
        Files.createDirectories(transientError);
        Files.copy(whole.resolve("run.json"), transientError.resolve("run.json"));
        Files.writeString(transientError.resolve("reports.jsonl"), failed + "\n" + String.join("\n", wholeLines.subList(1, n)) + "\n");
        CliRun kept = detectInto(folder, transientError, "--resume");
        assertThat(kept.exitCode()).as(kept.err()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        assertThat(kept.err()).contains("detect: 5 files in").contains("(5 done before, 0 now)").contains("2 error");
        assertThat(jsonLines(kept).get(0).path("verdict").asText()).isEqualTo("error");
        assertThat(Files.readAllLines(transientError.resolve("reports.jsonl"))).hasSize(n);

        CliRun retried = detectInto(folder, transientError, "--resume", "--retry-errors");
        assertThat(retried.exitCode()).as(retried.err()).isEqualTo(DetectCommand.EXIT_SOME_FILES_FAILED);
        assertThat(retried.err()).contains("detect: 5 files in").contains("(3 done before, 2 now)").contains("1 error");
        List<String> retriedLines = Files.readAllLines(transientError.resolve("reports.jsonl"));
        assertThat(retriedLines).hasSize(n + 2);
        assertThat(retriedLines.subList(1, n)).isEqualTo(wholeLines.subList(1, n));
        assertSameResults(jsonLines(retried), jsonLines(full));
        assertSameResults(filesOf(transientError), wholeFiles);
        assertSameResults(liveRecords(transientError), wholeFiles);
        // Read back, the new records are the live ones: nothing is left to do, and the astronaut is judged.
        CliRun after = detectInto(folder, transientError, "--resume");
        assertThat(after.err()).contains("(5 done before, 0 now)").contains("1 error");
        assertSameResults(filesOf(transientError), wholeFiles);

        CliRun retryAlone = detectInto(folder, dir.resolve("out-retry-alone"), "--retry-errors");
        assertThat(retryAlone.exitCode()).isEqualTo(2);
        assertThat(retryAlone.errLines()).as(retryAlone.err()).isEqualTo(1);
        assertThat(retryAlone.err()).startsWith("unmask: ").contains("--retry-errors").contains("--resume");
        assertThat(dir.resolve("out-retry-alone")).doesNotExist();

        // Only a last line can be torn by a kill; a damaged line before it is not guessed at.
        Path damaged = dir.resolve("out-damaged");
        Files.createDirectories(damaged);
        Files.copy(whole.resolve("run.json"), damaged.resolve("run.json"));
        Files.writeString(damaged.resolve("reports.jsonl"), wholeLines.get(0) + "\n{\"path\": \n" + wholeLines.get(1) + "\n");
        CliRun refused = detectInto(folder, damaged, "--resume");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.errLines()).as(refused.err()).isEqualTo(1);
        assertThat(refused.err()).contains("reports.jsonl line 2");

        CliRun noOut = CliRun.of("detect", folder.toString(), "--detector", probe.toString(), "--resume");
        assertThat(noOut.exitCode()).isEqualTo(2);
        assertThat(noOut.err()).contains("--out");
        try (var files = Files.walk(dir.resolve("out-killed"))) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".")).toList()).as("no temporary files left").isEmpty();
        }
    }

    static CliRun detectInto(Path folder, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("detect", folder.toString(), "--detector", probe.toString(), "--frames", "4", "--json", "--out",
                out.toString()));
        a.addAll(List.of(extra));
        return CliRun.of(a.toArray(String[]::new));
    }

    /** reports.jsonl read as a resume reads it: the last record of each path, without its source; sorted by path. */
    static List<JsonNode> liveRecords(Path out) throws java.io.IOException {
        Map<String, JsonNode> live = new java.util.HashMap<>();
        for (String line : Files.readAllLines(out.resolve("reports.jsonl"))) {
            ObjectNode record = (ObjectNode) StrictJson.parse(line, "line");
            String path = record.remove("source").path("path").asText();
            live.put(path, record);
        }
        return live.values().stream().sorted(java.util.Comparator.comparing((JsonNode r) -> r.path("path").asText())).toList();
    }

    static List<JsonNode> filesOf(Path out) {
        List<JsonNode> files = new ArrayList<>();
        StrictJson.read(out.resolve("report.json")).path("files").forEach(files::add);
        return files;
    }

    /** Same files, verdicts, faces and boxes; scores equal but for float rounding (batches hold other crops); timings aside. */
    static void assertSameResults(List<JsonNode> actual, List<JsonNode> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertSame(actual.get(i), expected.get(i), "file " + i);
        }
    }

    private static void assertSame(JsonNode a, JsonNode e, String where) {
        if (e.isNumber()) {
            assertThat(a.isNumber()).as(where).isTrue();
            assertThat(a.asDouble()).as(where).isCloseTo(e.asDouble(), within(1e-6));
        } else if (e.isObject()) {
            List<String> keys = new ArrayList<>();
            e.fieldNames().forEachRemaining(keys::add);
            List<String> actualKeys = new ArrayList<>();
            a.fieldNames().forEachRemaining(actualKeys::add);
            assertThat(actualKeys).as(where).isEqualTo(keys);
            for (String k : keys) {
                if (!k.equals("timings")) {
                    assertSame(a.get(k), e.get(k), where + "." + k);
                }
            }
        } else if (e.isArray()) {
            assertThat(a.size()).as(where).isEqualTo(e.size());
            for (int i = 0; i < e.size(); i++) {
                assertSame(a.get(i), e.get(i), where + "[" + i + "]");
            }
        } else {
            assertThat(a).as(where).isEqualTo(e);
        }
    }
}
