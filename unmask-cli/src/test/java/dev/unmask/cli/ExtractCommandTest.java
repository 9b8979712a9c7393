package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code unmask extract} on small dataset trees shaped like the real ones, with real videos made by ffmpeg. */
class ExtractCommandTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needs() {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
    }

    static void put(Path target, Path source) throws IOException {
        Files.createDirectories(target.getParent());
        Files.copy(source, target);
    }

    /** video key → label, per datalist, checking every crop path exists and is a whole 224×224 PNG. */
    static Map<String, Integer> videosIn(Path out, String split) throws IOException {
        List<String> lines = Files.readAllLines(out.resolve(split + ".csv"), StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo("relative_path,label,video");
        Map<String, Integer> videos = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            BufferedImage img = ImageIO.read(out.resolve(f[0]).toFile());
            assertThat(img.getWidth()).isEqualTo(224);
            assertThat(img.getHeight()).isEqualTo(224);
            Integer before = videos.put(f[2], Integer.parseInt(f[1]));
            assertThat(before == null || before == Integer.parseInt(f[1])).as("one label per video").isTrue();
            assertThat(f[0]).startsWith("faces/" + f[2] + "/");
        }
        return videos;
    }

    @Test
    void faceForensicsPairsDecideSplitsFakesFollowTheirPairAndBrokenVideosDoNotStopTheBatch() throws IOException {
        Path root = tmp.resolve("FaceForensics++");
        Path face = TestMedia.astronautMp4();
        for (String id : List.of("000", "001", "002", "004", "006")) {
            put(root.resolve("original_sequences/youtube/c23/videos/" + id + ".mp4"), face);
        }
        // 003 is truncated (an error), 005 has no face: neither stops the others.
        byte[] whole = Files.readAllBytes(face);
        Files.write(root.resolve("original_sequences/youtube/c23/videos/003.mp4"), Arrays.copyOf(whole, whole.length / 2));
        put(root.resolve("original_sequences/youtube/c23/videos/005.mp4"), TestMedia.coffeeMp4());
        put(root.resolve("original_sequences/youtube/c40/videos/000.mp4"), face);
        put(root.resolve("manipulated_sequences/Deepfakes/c23/videos/000_001.mp4"), face);
        put(root.resolve("manipulated_sequences/Deepfakes/c23/videos/001_000.mp4"), face);
        put(root.resolve("manipulated_sequences/Deepfakes/c23/videos/002_003.mp4"), face);
        put(root.resolve("manipulated_sequences/NeuralTextures/c23/videos/004_005.mp4"), face);
        put(root.resolve("manipulated_sequences/Face2Face/c40/videos/004_005.mp4"), face);
        put(root.resolve("manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walking.mp4"), face);
        // 006 is in no split: not extracted.
        Files.createDirectories(root.resolve("splits"));
        Files.writeString(root.resolve("splits/train.json"), "[[\"000\", \"001\"]]");
        Files.writeString(root.resolve("splits/val.json"), "[[\"002\", \"003\"]]");
        Files.writeString(root.resolve("splits/test.json"), "[[\"004\", \"005\"]]");
        Path out = tmp.resolve("crops");

        CliRun r = CliRun.of("extract", root.toString(), "--out", out.toString(), "--frames", "3", "--workers", "2");
        // The batch finished with one video failed: exit 3, as detect's.
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.EXIT_SOME_ITEMS_FAILED);
        assertThat(r.out()).contains("videos: 10 (0 done before, 10 now): 8 with faces, 1 without, 1 errors (see errors.csv)");
        // Not a terminal: no bar redrawn in place, and a run this short leaves no bar lines in the log (ProgressBarTest).
        assertThat(r.err()).contains("003.mp4").doesNotContain("\r").doesNotContain("Exception");

        String o = "original_sequences/youtube/c23/videos/";
        String m = "manipulated_sequences/";
        assertThat(videosIn(out, "train")).isEqualTo(Map.of(o + "000", 0, o + "001", 0, m + "Deepfakes/c23/videos/000_001", 1,
                m + "Deepfakes/c23/videos/001_000", 1));
        assertThat(videosIn(out, "val")).isEqualTo(Map.of(o + "002", 0, m + "Deepfakes/c23/videos/002_003", 1));
        assertThat(videosIn(out, "test")).isEqualTo(Map.of(o + "004", 0, m + "NeuralTextures/c23/videos/004_005", 4));
        assertThat(Files.readAllLines(out.resolve("train.csv"))).hasSize(1 + 4 * 3);
        List<String> errors = Files.readAllLines(out.resolve("errors.csv"));
        assertThat(errors).hasSize(2);
        assertThat(errors.get(1)).startsWith(o + "003,").contains("truncated or corrupt");

        // A second run finds everything done; a run at another compression level into the same folder is refused.
        CliRun again = CliRun.of("extract", root.toString(), "--out", out.toString(), "--frames", "3");
        assertThat(again.exitCode()).isEqualTo(Main.EXIT_SOME_ITEMS_FAILED);
        assertThat(again.out()).contains("videos: 10 (10 done before, 0 now)");
        CliRun mixed = CliRun.of("extract", root.toString(), "--out", out.toString(), "--frames", "3", "--compression", "c40");
        assertThat(mixed.exitCode()).isEqualTo(2);
        assertThat(mixed.errLines()).isEqualTo(1);
        assertThat(mixed.err()).contains("dataset.compression: \"c23\" then, \"c40\" now").contains("use another --out");
    }

    @Test
    void celebDfTestListIsReadWithItsInvertedLabels() throws IOException {
        Path root = tmp.resolve("Celeb-DF-v2");
        Path face = TestMedia.astronautMp4();
        for (String v : List.of("Celeb-real/id0_0000.mp4", "Celeb-real/id1_0000.mp4", "YouTube-real/00000.mp4",
                "Celeb-synthesis/id0_id1_0000.mp4", "Celeb-synthesis/id1_id0_0000.mp4")) {
            put(root.resolve(v), face);
        }
        // Celeb-DF's own convention: 1 = real, 0 = fake.
        Files.writeString(root.resolve("List_of_testing_videos.txt"), "1 Celeb-real/id0_0000.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n1 YouTube-real/00000.mp4\n");
        Path out = tmp.resolve("crops");
        CliRun r = CliRun.of("extract", root.toString(), "--out", out.toString(), "--frames", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(videosIn(out, "test")).isEqualTo(Map.of("Celeb-real/id0_0000", 0, "Celeb-synthesis/id0_id1_0000", 1, "YouTube-real/00000", 0));
        assertThat(videosIn(out, "train")).isEqualTo(Map.of("Celeb-real/id1_0000", 0, "Celeb-synthesis/id1_id0_0000", 1));
        assertThat(Files.exists(out.resolve("val.csv"))).isFalse();

        // Read with our convention by mistake, the list contradicts the folders: a clear error, nothing extracted.
        Files.writeString(root.resolve("List_of_testing_videos.txt"), "0 Celeb-real/id0_0000.mp4\n");
        CliRun wrong = CliRun.of("extract", root.toString(), "--out", tmp.resolve("other").toString());
        assertThat(wrong.exitCode()).isEqualTo(2);
        assertThat(wrong.err()).contains("lists Celeb-real/id0_0000.mp4 as fake but it is in Celeb-real/ (the list's 1 means real, 0 fake)");
    }

    @Test
    void dfdcFakesFollowTheirOriginal() throws IOException {
        Path root = tmp.resolve("dfdc");
        Path face = TestMedia.astronautMp4();
        StringBuilder meta = new StringBuilder("{");
        for (int i = 0; i < 12; i++) {
            put(root.resolve("dfdc_train_part_0/real" + i + ".mp4"), face);
            put(root.resolve("dfdc_train_part_0/fake" + i + ".mp4"), face);
            meta.append(i == 0 ? "" : ",").append("\"real").append(i).append(".mp4\": {\"label\": \"REAL\", \"split\": \"train\"},")
                    .append("\"fake").append(i).append(".mp4\": {\"label\": \"FAKE\", \"split\": \"train\", \"original\": \"real").append(i).append(".mp4\"}");
        }
        Files.writeString(root.resolve("dfdc_train_part_0/metadata.json"), meta.append("}").toString());
        Path out = tmp.resolve("crops");
        CliRun r = CliRun.of("extract", root.toString(), "--out", out.toString(), "--frames", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Set<String> seen = new TreeSet<>();
        for (String split : List.of("train", "val", "test")) {
            if (!Files.exists(out.resolve(split + ".csv"))) {
                continue;
            }
            Map<String, Integer> videos = videosIn(out, split);
            for (String key : videos.keySet()) {
                String partner = key.contains("/real") ? key.replace("/real", "/fake") : key.replace("/fake", "/real");
                assertThat(videos).as("%s and %s in %s", key, partner, split).containsKey(partner);
                seen.add(key);
            }
        }
        assertThat(seen).hasSize(24);
    }

    @Test
    void genericRealAndFakeFoldersWithImagesAndVideos() throws IOException {
        Path root = tmp.resolve("mine");
        put(root.resolve("real/a/clip.mp4"), TestMedia.astronautMp4());
        put(root.resolve("real/photo.png"), TestMedia.photo("astronaut.png"));
        put(root.resolve("fake/clip.webm"), TestMedia.astronautWebm());
        Path out = tmp.resolve("crops");
        CliRun r = CliRun.of("extract", root.toString(), "--out", out.toString(), "--frames", "2", "--face-detector", "haar");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(videosIn(out, "all")).isEqualTo(Map.of("real/a/clip", 0, "real/photo", 0, "fake/clip", 1));
        assertThat(Files.readString(out.resolve("extract.json"))).contains("haar-frontalface-alt2");
    }

    @Test
    void alignOnTheEyesIsInTheCropContractAndNeedsBlazeFace() throws IOException {
        Path root = tmp.resolve("aligned");
        put(root.resolve("real/photo.png"), TestMedia.photo("astronaut.png"));
        Path out = tmp.resolve("aligned-crops");
        CliRun r = CliRun.of("extract", root.toString(), "--out", out.toString(), "--align", "eyes");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(StrictJson.read(out.resolve("extract.json")).path("crop_contract").path("alignment").asText()).isEqualTo("eyes:opencv-linear");
        CliRun plain = CliRun.of("extract", root.toString(), "--out", tmp.resolve("plain-crops").toString());
        assertThat(StrictJson.read(tmp.resolve("plain-crops/extract.json")).path("crop_contract").path("alignment").asText()).isEqualTo("none");
        assertThat(plain.exitCode()).isZero();

        CliRun haar = CliRun.of("extract", root.toString(), "--out", tmp.resolve("haar-eyes").toString(), "--align", "eyes", "--face-detector", "haar");
        assertThat(haar.exitCode()).isEqualTo(2);
        assertThat(haar.errLines()).as(haar.err()).isEqualTo(1);
        assertThat(haar.err()).contains("--align eyes").contains("haar");
        assertThat(tmp.resolve("haar-eyes")).doesNotExist();
        CliRun nose = CliRun.of("extract", root.toString(), "--out", tmp.resolve("nose").toString(), "--align", "nose");
        assertThat(nose.exitCode()).isEqualTo(2);
        assertThat(nose.err()).contains("expected none, eyes or gend");

        // GenD's alignment needs BlazeFace's keypoints too, and samples through its warp, which cannot average areas.
        CliRun haarGenD = CliRun.of("extract", root.toString(), "--out", tmp.resolve("haar-gend").toString(), "--align", "gend", "--face-detector", "haar");
        assertThat(haarGenD.exitCode()).isEqualTo(2);
        assertThat(haarGenD.errLines()).as(haarGenD.err()).isEqualTo(1);
        assertThat(haarGenD.err()).contains("--align gend").contains("haar");
        CliRun area = CliRun.of("extract", root.toString(), "--out", tmp.resolve("gend-area").toString(), "--align", "gend", "--resize-kernel", "area");
        assertThat(area.exitCode()).isEqualTo(2);
        assertThat(area.errLines()).as(area.err()).isEqualTo(1);
        assertThat(area.err()).contains("gend alignment").contains("not area");
        assertThat(tmp.resolve("gend-area")).doesNotExist();
    }

    /** Without the BlazeFace model there is no quiet switch to Haar: one line naming the set-up command, nothing written. */
    @Test
    void aMissingBlazeFaceModelIsAnErrorNotASwitch() throws IOException {
        Path root = tmp.resolve("mine");
        put(root.resolve("real/clip.mp4"), TestMedia.astronautMp4());
        String before = System.getProperty("unmask.home");
        System.setProperty("unmask.home", tmp.resolve("empty-home").toString());
        try {
            CliRun r = CliRun.of("extract", root.toString(), "--out", tmp.resolve("out").toString());
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.errLines()).isEqualTo(1);
            assertThat(r.err()).contains("the BlazeFace face detector model is not set up").contains("run bin/setup-models");
            assertThat(tmp.resolve("out")).doesNotExist();
        } finally {
            if (before == null) {
                System.clearProperty("unmask.home");
            } else {
                System.setProperty("unmask.home", before);
            }
        }
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        for (String[] args : List.of(new String[] {"extract", tmp.resolve("missing").toString(), "--out", tmp.toString()},
                new String[] {"extract", tmp.toString(), "--out", tmp.resolve("o").toString()},
                new String[] {"extract", tmp.toString(), "--out", tmp.resolve("o").toString(), "--layout", "ffpp"},
                new String[] {"extract", tmp.toString(), "--out", tmp.resolve("o").toString(), "--layout", "folders", "--frames", "0"},
                new String[] {"extract", tmp.toString(), "--out", tmp.resolve("o").toString(), "--layout", "nope"},
                new String[] {"extract", tmp.toString(), "--out", tmp.resolve("o").toString(), "--layout", "ffpp", "--compression", "c99"},
                new String[] {"extract", tmp.toString(), "--out", tmp.resolve("o").toString(), "--layout", "folders", "--margin", "0.5"})) {
            CliRun r = CliRun.of(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.errLines()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).doesNotContain("Exception");
        }
    }

    static Set<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
