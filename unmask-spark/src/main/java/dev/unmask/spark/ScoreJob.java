package dev.unmask.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import dev.unmask.api.ScoreMetrics;
import dev.unmask.api.Unmask;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.face.FaceSelection;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code unmask batch score}: every file of the input judged by one detector, on as many executors
 * as the cluster has, into Parquet files under {@code OUT/scores}, one per partition. Each executor
 * loads the detector once ({@link DetectorCache}); a file that fails is a row with its error, never
 * a failed task; a run into the same OUT skips the files whose rows are already committed, so a
 * killed job resumes where its committed partitions end.
 */
public final class ScoreJob {
    private static final ObjectMapper JSON = StrictJson.mapper();

    /**
     * @param input        a folder (media files at any depth), a glob, or a manifest (.csv / .parquet: path[, label, video])
     * @param out          output folder: a local path or any URI Hadoop writes (hdfs://, s3a://)
     * @param filesPerPart files per partition: the unit of work, of commit and of what a killed job loses
     */
    public record Settings(String input, String out, Path detector, boolean assumeCrop, boolean preCropped, int frames, String faces, int batch,
            int filesPerPart, boolean csv) {
        public Settings {
            if (filesPerPart < 1) {
                throw new UserError("--files-per-part must be at least 1, got " + filesPerPart);
            }
            // Checked here, on the driver, before any executor starts.
            new CheckOptions(frames, FaceSelection.parse(faces), batch, false, 3, null, null, CheckOptions.Resume.NO);
        }
    }

    /**
     * @param schemaVersion {@link Unmask#SCHEMA_VERSION}; the JSON is batchScoreSummary in docs/schema/unmask.schema.json
     * @param files      files in the input
     * @param doneBefore of them, those with rows committed by an earlier run (not judged again)
     * @param scoredNow  judged by this run
     * @param rows       rows in the output (all runs)
     * @param errors     rows whose verdict is error
     * @param metrics    frame and video metrics, when the input is labelled, else null
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Summary(int schemaVersion, int files, int doneBefore, int scoredNow, long rows, long errors, int partsNow, double seconds, ScoreMetrics metrics,
            String metricsNote) {}

    /** What a task needs, serialised to the executors. */
    private record Task(String out, DetectorCache.Ref detector, int frames, String faces, int batch) implements Serializable {}

    private ScoreJob() {}

    public static Summary run(SparkSession spark, Settings s) {
        long t0 = System.nanoTime();
        List<ScoreInputs.Item> items = ScoreInputs.list(spark, s.input());
        DetectorCache.Ref ref = DetectorCache.Ref.of(s.detector(), s.assumeCrop(), s.preCropped());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        checkSettings(conf, s, ref);
        Set<String> done = committedPaths(spark, conf, s.out());
        List<List<ScoreInputs.Item>> parts = new ArrayList<>();
        List<ScoreInputs.Item> current = new ArrayList<>();
        int doneBefore = 0;
        for (ScoreInputs.Item i : items) {
            if (done.contains(i.path())) {
                doneBefore++;
                continue;
            }
            current.add(i);
            if (current.size() == s.filesPerPart()) {
                parts.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            parts.add(current);
        }
        int scoredNow = parts.stream().mapToInt(List::size).sum();
        if (!parts.isEmpty()) {
            Task task = new Task(s.out(), ref, s.frames(), s.faces(), s.batch());
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            spark.sparkContext().setJobDescription("unmask score: " + scoredNow + " files in " + parts.size() + " parts");
            // One partition per part: each is judged, written and committed by one task.
            jsc.parallelize(parts, parts.size()).map(p -> scorePart(task, p)).collect();
        }
        Dataset<Row> all = spark.read().parquet(new org.apache.hadoop.fs.Path(s.out(), ScoreParts.DIR).toString());
        long rows = all.count();
        long errors = all.filter(functions.col("verdict").equalTo("error")).count();
        if (s.csv()) {
            all.withColumn("frame_scores", functions.concat_ws(";", functions.col("frame_scores").cast("array<string>")))
                    .withColumn("face_scores", functions.concat_ws(";", functions.col("face_scores").cast("array<string>")))
                    .coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true")
                    .csv(new org.apache.hadoop.fs.Path(s.out(), "scores.csv").toString());
        }
        ScoreMetrics metrics = null;
        String note = null;
        if (items.stream().anyMatch(i -> i.label() != null)) {
            try {
                metrics = metrics(all);
                writeText(conf, new org.apache.hadoop.fs.Path(s.out(), "metrics.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(metrics));
            } catch (UserError e) {
                note = "metrics not computed: " + e.getMessage();
            } catch (IOException e) {
                throw new UserError(s.out() + ": cannot write metrics.json (" + e.getMessage() + ")");
            }
        }
        return new Summary(Unmask.SCHEMA_VERSION, items.size(), doneBefore, scoredNow, rows, errors, parts.size(), (System.nanoTime() - t0) / 1e9, metrics, note);
    }

    /** A job timed for {@code unmask bench batch}: the session's start apart from the job's own time. */
    public record Timed(double startSeconds, Summary summary) {}

    /**
     * Runs the job on a fresh local[threads] session, then stops it and closes the detector its
     * tasks loaded, so that the next timed job loads its own, as {@code unmask detect} does.
     */
    public static Timed timedOnLocal(int threads, Settings s) {
        long t0 = System.nanoTime();
        SparkSession spark = Sessions.open("local[" + threads + "]", "unmask bench batch");
        double start = (System.nanoTime() - t0) / 1e9;
        try {
            return new Timed(start, run(spark, s));
        } finally {
            DetectorCache.clear();
            spark.stop();
        }
    }

    /** Runs on an executor: judges a part's files with this JVM's detector and commits them as one Parquet file. */
    private static String scorePart(Task task, List<ScoreInputs.Item> part) {
        Detector detector = DetectorCache.get(task.detector());
        CheckOptions options = CheckOptions.defaults().withFrames(task.frames()).withFaces(FaceSelection.parse(task.faces())).withBatch(task.batch());
        List<ScoreParts.Scored> rows = new ArrayList<>();
        for (ScoreInputs.Item item : part) {
            Path file = Path.of(item.path());
            FileCheck check = null;
            String error = null;
            try {
                check = detector.check(file, options);
            } catch (RuntimeException | LinkageError e) {
                // check reports unreadable files itself; anything else that escapes is still this file's error, not the task's.
                error = StrictJson.oneLine(e instanceof UserError ? e.getMessage() : "internal error: " + e);
            }
            rows.add(new ScoreParts.Scored(item, check, ScoreParts.kind(file, check), error));
        }
        String key = ScoreParts.key(part);
        return ScoreParts.commit(task.out(), key, rows, task.detector()).getName();
    }

    /** The files whose rows an earlier run committed (complete part files only: temporaries have hidden names). */
    private static Set<String> committedPaths(SparkSession spark, Configuration conf, String out) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(out, ScoreParts.DIR);
        try {
            FileSystem fs = ScoreParts.fileSystem(dir, conf);
            if (!fs.exists(dir)) {
                return Set.of();
            }
            List<String> parts = new ArrayList<>();
            for (FileStatus st : fs.listStatus(dir)) {
                String n = st.getPath().getName();
                if (n.startsWith("_tmp-")) {
                    // Left by a task of a killed run: never committed, so never read.
                    fs.delete(st.getPath(), false);
                } else if (n.startsWith("part-") && n.endsWith(".parquet")) {
                    parts.add(st.getPath().toString());
                }
            }
            if (parts.isEmpty()) {
                return Set.of();
            }
            Set<String> paths = new HashSet<>();
            for (Row r : spark.read().parquet(parts.toArray(String[]::new)).select("path").collectAsList()) {
                paths.add(r.getString(0));
            }
            return paths;
        } catch (IOException e) {
            throw new UserError(out + ": cannot read the earlier run's output (" + e.getMessage() + ")");
        }
    }

    /** One output folder holds the scores of one detector and one way of checking: a re-run with others is refused. */
    private static void checkSettings(Configuration conf, Settings s, DetectorCache.Ref ref) {
        ObjectNode wanted = JSON.createObjectNode();
        wanted.put("detector_sha256", ref.sha256());
        wanted.put("assume_crop", s.assumeCrop());
        wanted.put("pre_cropped", s.preCropped());
        wanted.put("frames", s.frames());
        wanted.put("faces", FaceSelection.parse(s.faces()).name().toLowerCase(java.util.Locale.ROOT));
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(s.out(), "score-settings.json");
        try {
            FileSystem fs = ScoreParts.fileSystem(file, conf);
            if (fs.exists(file)) {
                byte[] bytes;
                try (var in = fs.open(file)) {
                    bytes = in.readAllBytes();
                }
                if (!JSON.readTree(bytes).equals(wanted)) {
                    throw new UserError(s.out() + ": holds scores made with other settings (" + new String(bytes, StandardCharsets.UTF_8).replaceAll("\\s+", " ")
                            + "); use another output folder");
                }
                return;
            }
            writeText(conf, file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(wanted));
        } catch (IOException e) {
            throw new UserError(s.out() + ": cannot write (" + e.getMessage() + ")");
        }
    }

    /** Written under a temporary name and renamed, as every output is. */
    private static void writeText(Configuration conf, org.apache.hadoop.fs.Path file, String text) throws IOException {
        FileSystem fs = ScoreParts.fileSystem(file, conf);
        fs.mkdirs(file.getParent());
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(file.getParent(), "_tmp-" + file.getName());
        try (FSDataOutputStream o = fs.create(tmp, true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        fs.delete(file, false);
        if (!fs.rename(tmp, file)) {
            throw new IOException("cannot rename " + tmp + " to " + file);
        }
    }

    /**
     * Frame and video metrics of the labelled rows, by the one implementation ({@link ScoreMetrics}):
     * every judged face crop is a frame item of its file's label; a video is the manifest's video
     * id, or the file itself. Rows are collected to the driver (a million files is ~100 MB).
     */
    static ScoreMetrics metrics(Dataset<Row> all) {
        List<Row> rows = all.filter(functions.col("label").isNotNull()).select("path", "label", "video", "frame_scores", "threshold").collectAsList();
        StringBuilder csv = new StringBuilder("path,label,score,video\n");
        Double threshold = null;
        int n = 0;
        for (Row r : rows) {
            if (threshold == null && !r.isNullAt(4)) {
                threshold = r.getDouble(4);
            }
            if (r.isNullAt(3)) {
                continue;
            }
            List<Object> scores = r.getList(3);
            String video = r.isNullAt(2) ? r.getString(0) : r.getString(2);
            for (int i = 0; i < scores.size(); i++) {
                if (scores.get(i) != null) {
                    csv.append(quote(r.getString(0) + "#" + i)).append(',').append(r.getInt(1)).append(',').append(scores.get(i)).append(',')
                            .append(quote(video)).append('\n');
                    n++;
                }
            }
        }
        if (n == 0) {
            throw new UserError("no labelled file has a scored face");
        }
        try {
            Path tmp = Files.createTempFile("unmask-scores", ".csv");
            try {
                Files.writeString(tmp, csv);
                return ScoreMetrics.of(tmp, threshold == null ? 0.5 : threshold, null, 0, 1);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError("cannot write a temporary file for the metrics (" + e.getMessage() + ")");
        }
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
