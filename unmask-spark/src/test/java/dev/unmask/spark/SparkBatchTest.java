package dev.unmask.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.ExtractReport;
import dev.unmask.api.Extraction;
import dev.unmask.api.FileCheck;
import dev.unmask.api.LoadOptions;
import dev.unmask.api.TinyDetectors;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.TestMedia;
import dev.unmask.media.dataset.DatasetKind;
import dev.unmask.media.extract.ExtractConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark jobs on Spark's local master with 2 worker threads, on real images and videos made by
 * ffmpeg (and broken ones), every row checked against the library API run on the same file; and a
 * score job killed with SIGKILL in a JVM of its own, then resumed. One SparkSession for the class:
 * Spark starts slowly.
 */
class SparkBatchTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path detectorFile;
    static Detector reference;
    static Path media;
    static final CheckOptions OPTIONS = CheckOptions.defaults().withFrames(4).withBatch(8);

    @BeforeAll
    static void start() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        detectorFile = TinyDetectors.train(dir.resolve("detector"), "tiny.unmask");
        // The library API, in this JVM, outside Spark: what each row must say.
        reference = Detector.load(detectorFile, new LoadOptions(null, true));
        media = Files.createDirectories(dir.resolve("media"));
        copy(TestMedia.photo("astronaut.png"), "astronaut.png");
        copy(TestMedia.photo("camera.png"), "camera.png");
        copy(TestMedia.photo("coffee.png"), "coffee.png");
        copy(TestMedia.photo("rocket.jpg"), "rocket.jpg");
        copy(TestMedia.astronautMp4(), "clips/astronaut.mp4");
        copy(TestMedia.video("spark-camera.mp4", "-loop", "1", "-framerate", "8", "-t", "2", "-i", TestMedia.photo("camera.png").toString(),
                "-vf", "scale=256:256", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"), "clips/camera.mp4");
        copy(TestMedia.video("spark-testsrc.mp4", "-f", "lavfi", "-i", "testsrc=size=256x192:rate=8:duration=2", "-c:v", "libx264",
                "-preset", "veryfast", "-pix_fmt", "yuv420p"), "clips/testsrc.mp4");
        Files.writeString(media.resolve("clips/broken.mp4"), "not a video\n");
        byte[] png = Files.readAllBytes(TestMedia.photo("camera.png"));
        Files.write(media.resolve("truncated.png"), java.util.Arrays.copyOf(png, png.length / 3));
        spark = Sessions.open("local[2]", "SparkBatchTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (reference != null) {
            reference.close();
        }
    }

    private static void copy(Path from, String to) throws IOException {
        Path target = media.resolve(to);
        Files.createDirectories(target.getParent());
        Files.copy(from, target);
    }

    private static ScoreJob.Settings score(String input, Path out, int perPart, boolean csv) {
        return new ScoreJob.Settings(input, out.toString(), detectorFile, true, false, OPTIONS.frames(), "largest", OPTIONS.batch(), perPart, csv);
    }

    @Test
    void scoreJudgesEveryFileOfALabelledManifestAsTheLibraryDoesAndARerunDoesNothingAgain() throws Exception {
        // A manifest: relative paths, labels, and a video id shared by two stills.
        Files.writeString(dir.resolve("manifest.csv"), String.join("\n", "path,label,video",
                "media/astronaut.png,0,astro", "media/camera.png,1,cam", "media/coffee.png,0,coffee", "media/rocket.jpg,1,astro",
                "media/clips/astronaut.mp4,0,astro-clip", "media/clips/camera.mp4,1,cam-clip", "media/clips/testsrc.mp4,0,testsrc",
                "media/clips/broken.mp4,1,broken", "media/truncated.png,0,truncated") + "\n");
        Path out = dir.resolve("scored");
        ScoreJob.Summary s = ScoreJob.run(spark, score(dir.resolve("manifest.csv").toString(), out, 2, true));
        assertThat(s.files()).isEqualTo(9);
        assertThat(s.doneBefore()).isZero();
        assertThat(s.scoredNow()).isEqualTo(9);
        assertThat(s.partsNow()).isEqualTo(5);
        assertThat(s.rows()).isEqualTo(9);
        assertThat(s.errors()).isEqualTo(2);
        // Two threads, five tasks, one detector loaded in this JVM.
        assertThat(DetectorCache.loads()).isEqualTo(1);

        List<Row> rows = spark.read().parquet(out.resolve("scores").toString()).collectAsList();
        assertThat(rows).hasSize(9);
        assertThat(Files.list(out.resolve("scores")).filter(p -> p.getFileName().toString().endsWith(".parquet")).count()).isEqualTo(5);
        Map<String, Row> byPath = new TreeMap<>();
        for (Row r : rows) {
            assertThat(byPath.put(r.getAs("path"), r)).as("one row per file").isNull();
        }
        Map<String, String> kinds = Map.of("astronaut.png", "image", "camera.png", "image", "coffee.png", "image", "rocket.jpg", "image",
                "astronaut.mp4", "video", "camera.mp4", "video", "testsrc.mp4", "video", "broken.mp4", "unknown", "truncated.png", "image");
        Map<String, Integer> labels = Map.of("astronaut.png", 0, "camera.png", 1, "coffee.png", 0, "rocket.jpg", 1, "astronaut.mp4", 0,
                "camera.mp4", 1, "testsrc.mp4", 0, "broken.mp4", 1, "truncated.png", 0);
        for (Map.Entry<String, Row> e : byPath.entrySet()) {
            Path file = Path.of(e.getKey());
            String name = file.getFileName().toString();
            Row r = e.getValue();
            FileCheck want = reference.check(file, OPTIONS);
            assertThat(r.<String>getAs("kind")).as(name).isEqualTo(kinds.get(name));
            assertThat(r.<Integer>getAs("label")).as(name).isEqualTo(labels.get(name));
            assertThat(r.<String>getAs("verdict")).as(name).isEqualTo(want.verdict().id());
            assertThat(r.<Integer>getAs("frames")).as(name).isEqualTo(want.frames());
            assertThat(r.<Integer>getAs("frames_with_faces")).as(name).isEqualTo(want.framesWithFaces());
            assertThat(r.<Integer>getAs("faces")).as(name).isEqualTo(want.faces());
            assertThat(r.<String>getAs("error")).as(name).isEqualTo(want.error());
            if (want.score() == null) {
                assertThat(r.isNullAt(r.fieldIndex("score"))).as(name).isTrue();
            } else {
                assertThat(r.<Double>getAs("score")).as(name).isCloseTo(want.score(), within(1e-6));
            }
            List<Double> frameScores = r.getList(r.fieldIndex("frame_scores"));
            assertThat(frameScores).as(name).hasSize(want.frameScores().size());
            for (int i = 0; i < frameScores.size(); i++) {
                assertThat(frameScores.get(i)).as(name + " frame " + i).isCloseTo(want.frameScores().get(i).score(), within(1e-6));
            }
            assertThat(r.<String>getAs("detector")).startsWith("tiny.unmask@");
            assertThat(r.<String>getAs("detector_sha256")).isEqualTo(DetectorCache.contentHash(detectorFile));
            if (!want.verdict().id().equals("error")) {
                assertThat(r.<Double>getAs("wall_s")).as(name).isPositive();
            }
        }
        assertThat(byPath.keySet().stream().map(p -> Path.of(p).getFileName().toString())).containsExactlyInAnyOrderElementsOf(kinds.keySet());
        assertThat(byPath.values().stream().filter(r -> r.getAs("verdict").equals("error")).map(r -> Path.of(r.<String>getAs("path")).getFileName()
                .toString())).containsExactlyInAnyOrder("broken.mp4", "truncated.png");
        assertThat(byPath.values().stream().map(r -> r.<String>getAs("verdict"))).contains("no_face").containsAnyOf("fake", "real");

        // Metrics by the one implementation: frame level over every scored face, video level over the manifest's video ids.
        assertThat(s.metrics()).isNotNull();
        assertSchemaValid("batchScoreSummary", StrictJson.mapper().valueToTree(s));
        JsonNode metrics = StrictJson.read(out.resolve("metrics.json"));
        assertThat(metrics.path("frame").path("auc").isNumber()).isTrue();
        assertThat(metrics.path("video").path("auc").isNumber()).isTrue();
        long scoredFaces = byPath.values().stream().mapToLong(r -> r.getList(r.fieldIndex("frame_scores")).size()).sum();
        assertThat(metrics.path("frame").path("n").asLong()).isEqualTo(scoredFaces);

        // The CSV copy: a header and one line per row.
        Path csvDir = out.resolve("scores.csv");
        Path csv;
        try (Stream<Path> files = Files.list(csvDir)) {
            csv = files.filter(p -> p.getFileName().toString().endsWith(".csv")).findFirst().orElseThrow();
        }
        assertThat(Files.readAllLines(csv).get(0)).startsWith("path,kind,label,video,verdict,score");
        assertThat(Files.readAllLines(csv).stream().filter(l -> l.contains("/media/")).count()).isEqualTo(9);

        // The same job again: every file's rows are committed, so nothing is judged and nothing is written twice.
        Map<Path, FileTime> before = partTimes(out);
        ScoreJob.Summary again = ScoreJob.run(spark, score(dir.resolve("manifest.csv").toString(), out, 2, false));
        assertThat(again.doneBefore()).isEqualTo(9);
        assertThat(again.scoredNow()).isZero();
        assertThat(again.rows()).isEqualTo(9);
        assertThat(partTimes(out)).isEqualTo(before);
    }

    @Test
    void theBatchCommandScoresAFolderAndAGlobAndSaysWhatIsWrongInOneLine() throws Exception {
        Path out = dir.resolve("cli-folder");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code = BatchMain.run(new PrintWriter(stdout, true), new PrintWriter(stderr, true), "score", media.toString(), "--out", out.toString(),
                "--detector", detectorFile.toString(), "--assume-crop", "--frames", "4", "--batch", "8", "--csv", "--json");
        assertThat(code).as(stderr.toString()).isEqualTo(3);
        JsonNode summary = StrictJson.mapper().readTree(stdout.toString());
        assertSchemaValid("batchScoreSummary", summary);
        assertThat(summary.path("files").asInt()).isEqualTo(9);
        assertThat(summary.path("scored_now").asInt()).isEqualTo(9);
        assertThat(summary.path("rows").asInt()).isEqualTo(9);
        assertThat(summary.path("errors").asInt()).isEqualTo(2);
        assertThat(summary.path("metrics").isNull()).as("an unlabelled folder has no metrics").isTrue();
        assertThat(Files.isDirectory(out.resolve("scores.csv"))).isTrue();
        assertThat(spark.read().parquet(out.resolve("scores").toString()).count()).isEqualTo(9);

        // A glob: the videos under clips/ only.
        StringWriter globOut = new StringWriter();
        code = BatchMain.run(new PrintWriter(globOut, true), new PrintWriter(new StringWriter(), true), "score", media + "/clips/*.mp4", "--out",
                dir.resolve("cli-glob").toString(), "--detector", detectorFile.toString(), "--assume-crop", "--frames", "4");
        assertThat(code).isEqualTo(3);
        assertThat(globOut.toString()).startsWith("files: 4 (0 done before, 4 now in 1 parts); rows: 4, errors: 1;");

        // Bad input: exit 2 and one line, before or after Spark started.
        for (String[] args : List.of(new String[] {"score", dir.resolve("missing").toString(), "--out", dir.resolve("x").toString(), "--detector",
                detectorFile.toString()}, new String[] {"score", media.toString(), "--out", dir.resolve("x").toString(), "--detector",
                detectorFile.toString(), "--frames", "0"}, new String[] {"score", media.toString(), "--out", out.toString(), "--detector",
                detectorFile.toString(), "--assume-crop", "--frames", "5"})) {
            StringWriter err = new StringWriter();
            assertThat(BatchMain.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args)).as(err.toString()).isEqualTo(2);
            assertThat(err.toString().lines().filter(l -> l.startsWith("unmask: "))).as(err.toString()).hasSize(1);
            assertThat(err.toString()).doesNotContain("\tat ");
        }
        assertThat(spark.sparkContext().isStopped()).as("the caller's session stays").isFalse();
    }

    /** The JSON a batch command prints is the one docs/schema/unmask.schema.json describes. */
    static void assertSchemaValid(String def, JsonNode json) {
        Path file = TestMedia.repo().resolve("docs/schema/unmask.schema.json").toAbsolutePath().normalize();
        String wrapper = "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"$ref\": \"" + file.toUri() + "#/$defs/" + def + "\"}";
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(wrapper);
        assertThat(schema.validate(json)).as(def + ": " + json).isEmpty();
    }

    private static Map<Path, FileTime> partTimes(Path out) throws IOException {
        Map<Path, FileTime> times = new HashMap<>();
        try (Stream<Path> s = Files.list(out.resolve("scores"))) {
            for (Path p : s.toList()) {
                times.put(p.getFileName(), Files.getLastModifiedTime(p));
            }
        }
        return times;
    }

    @Test
    void extractPartitionedByVideoWritesWhatUnmaskExtractWrites() throws Exception {
        Path root = dir.resolve("dataset");
        Files.createDirectories(root.resolve("real"));
        Files.createDirectories(root.resolve("fake"));
        Files.copy(media.resolve("clips/astronaut.mp4"), root.resolve("real/astronaut.mp4"));
        Files.copy(media.resolve("clips/testsrc.mp4"), root.resolve("real/testsrc.mp4"));
        Files.copy(media.resolve("clips/camera.mp4"), root.resolve("fake/camera.mp4"));
        Files.copy(media.resolve("clips/broken.mp4"), root.resolve("fake/broken.mp4"));
        Files.copy(media.resolve("astronaut.png"), root.resolve("fake/astronaut.png"));
        Path out = dir.resolve("faces-spark");
        ExtractJob.Settings settings = new ExtractJob.Settings(root, out.toString(), "auto", "c23", null, 4, "blazeface", "largest", 1.3, 64, "area",
                "none", false, false, 1);
        ExtractJob.Summary s = ExtractJob.run(spark, settings);
        assertThat(s.parts()).isEqualTo(5);
        Map<String, String> status = new TreeMap<>();
        for (ExtractJob.Outcome o : s.outcomes()) {
            assertThat(status.put(o.key(), o.status())).as("one outcome per video").isNull();
        }
        assertThat(status).isEqualTo(Map.of("real/astronaut", "ok", "real/testsrc", "no_face", "fake/camera", "ok", "fake/broken", "error",
                "fake/astronaut", "ok"));
        assertThat(s.outcomes().stream().filter(o -> o.status().equals("error")).findFirst().orElseThrow().error()).contains("broken.mp4");
        ExtractReport r = s.report();
        assertSchemaValid("extractReport", StrictJson.mapper().valueToTree(r));
        assertThat(r.videos()).isEqualTo(5);
        assertThat(r.doneNow()).isEqualTo(5);
        assertThat(r.errors()).isEqualTo(1);
        assertThat(r.withoutFaces()).isEqualTo(1);

        // unmask extract's own run (the library, one process) on the same dataset: the same datalist and the same crops, byte for byte.
        Path single = dir.resolve("faces-single");
        ExtractReport one = Extraction.run(root, DatasetKind.FOLDERS, "c23", null, false, new ExtractConfig(single, settings.config().detector(), settings.config().pipeline(), 1, false), Extraction.QUIET);
        assertThat(one.errors()).isEqualTo(1);
        assertThat(Files.readString(out.resolve("all.csv"))).isEqualTo(Files.readString(single.resolve("all.csv")));
        assertThat(Files.readAllLines(out.resolve("all.csv")).size()).isGreaterThan(4);
        Map<String, byte[]> sparkCrops = crops(out);
        Map<String, byte[]> singleCrops = crops(single);
        assertThat(sparkCrops.keySet()).isEqualTo(singleCrops.keySet()).isNotEmpty();
        for (String k : sparkCrops.keySet()) {
            assertThat(sparkCrops.get(k)).as(k).isEqualTo(singleCrops.get(k));
        }
        assertThat(Files.readString(out.resolve("errors.csv"))).contains("fake/broken");

        // Again: every video has its record, so none is redone.
        ExtractJob.Summary again = ExtractJob.run(spark, settings);
        assertThat(again.outcomes()).extracting(ExtractJob.Outcome::status).containsOnly("done");
        assertThat(again.report().doneBefore()).isEqualTo(5);
        assertThat(Files.readString(out.resolve("all.csv"))).isEqualTo(Files.readString(single.resolve("all.csv")));
    }

    private static Map<String, byte[]> crops(Path out) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(out.resolve("faces"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(out.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return m;
    }

    @Test
    void aScoreJobKilledHalfwayResumesWithOnlyTheFilesItHadNotCommitted() throws Exception {
        Path input = Files.createDirectories(dir.resolve("many"));
        List<Path> sources = List.of(media.resolve("astronaut.png"), media.resolve("camera.png"), media.resolve("clips/astronaut.mp4"),
                media.resolve("clips/camera.mp4"), media.resolve("clips/broken.mp4"), media.resolve("coffee.png"));
        int n = 0;
        for (int copy = 0; copy < 3; copy++) {
            for (Path src : sources) {
                String name = src.getFileName().toString();
                Files.copy(src, input.resolve(String.format("%02d-%s", n++, name)));
            }
        }
        Path out = dir.resolve("killed");
        Path log = dir.resolve("killed.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1"));
        cmd.addAll(List.of(System.getProperty("unmask.spark.opens", "").trim().split("\\s+")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BatchMain.class.getName(), "score", input.toString(), "--out",
                out.toString(), "--detector", detectorFile.toString(), "--assume-crop", "--master", "local[2]", "--files-per-part", "1",
                "--frames", String.valueOf(OPTIONS.frames()), "--batch", String.valueOf(OPTIONS.batch())));
        cmd.removeIf(String::isEmpty);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process job = pb.start();
        Path parts = out.resolve("scores");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (committed(parts).size() < 2 && job.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(job.isAlive()).as("the job is still running when killed: " + Files.readString(log)).isTrue();
        job.destroyForcibly();
        assertThat(job.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(job.exitValue()).as("killed by SIGKILL").isEqualTo(137);

        Map<Path, FileTime> firstRun = new HashMap<>();
        for (Path p : committed(parts)) {
            firstRun.put(p.getFileName(), Files.getLastModifiedTime(p));
        }
        List<String> doneFirst = spark.read().parquet(committed(parts).stream().map(Path::toString).toArray(String[]::new))
                .select("path").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        assertThat(doneFirst).hasSize(firstRun.size()).doesNotHaveDuplicates();
        assertThat(doneFirst.size()).isLessThan(n);

        ScoreJob.Summary s = ScoreJob.run(spark, score(input.toString(), out, 1, false));
        assertThat(s.files()).isEqualTo(n);
        assertThat(s.doneBefore()).isEqualTo(doneFirst.size());
        assertThat(s.scoredNow()).isEqualTo(n - doneFirst.size());
        assertThat(s.rows()).isEqualTo(n);
        List<Row> rows = spark.read().parquet(parts.toString()).select("path", "part").collectAsList();
        List<String> paths = rows.stream().map(r -> r.getString(0)).toList();
        assertThat(paths).hasSize(n).doesNotHaveDuplicates();
        // The first run's committed part files are untouched; the re-run wrote only the others.
        for (Map.Entry<Path, FileTime> e : firstRun.entrySet()) {
            assertThat(Files.getLastModifiedTime(parts.resolve(e.getKey()))).as(e.getKey().toString()).isEqualTo(e.getValue());
        }
        List<String> rescored = rows.stream().filter(r -> !firstRun.containsKey(Path.of(ScoreParts.fileName(r.getString(1)))))
                .map(r -> r.getString(0)).toList();
        assertThat(rescored).hasSize(n - doneFirst.size()).doesNotContainAnyElementsOf(doneFirst);
        try (Stream<Path> left = Files.list(parts)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no temporaries left").allMatch(f -> f.startsWith("part-"));
        }
    }

    private static List<Path> committed(Path parts) throws IOException {
        if (!Files.isDirectory(parts)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(parts)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-") && p.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
    }
}
