package dev.unmask.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code unmask batch}: the score and extract jobs on Spark. The fields hold plain values only, so
 * that the command tree loads where Spark is not on the class path; Spark is touched in
 * {@code call()}, after {@link #requireSpark}.
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = "Score or extract many files as a Spark job: in this process on Spark's local master by default, or on a cluster"
                + " with --master or spark-submit (README, \"Spark\").",
        subcommands = {BatchCommand.Score.class, BatchCommand.Extract.class})
public final class BatchCommand implements Callable<Integer> {
    /** The exit status when the job finished and some files are errors (as detect's and extract's). */
    static final int EXIT_SOME_FILES_FAILED = 3;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    public static void requireSpark() {
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, BatchCommand.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new UserError("Spark is not on the class path: run 'unmask batch' through bin/unmask (it adds unmask-spark/target/lib)"
                    + " or submit the jar with spark-submit");
        }
    }

    @Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Judge every file of INPUT with a detector; per-file rows into OUT/scores (Parquet, one file per partition).",
                    "INPUT: a folder (media at any depth), a glob ('clips/**.mp4'), or a manifest (.csv or .parquet with a path column,",
                    "optionally label (0 real, 1 fake) and video). Labelled input also gets OUT/metrics.json (frame and video level).",
                    "Resumable: run it again into the same OUT and only files without committed rows are judged.",
                    "Exit status: 0 every file judged, 3 some rows are 'error', 2 usage error.", ""})
    static final class Score implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "INPUT", description = "Folder, glob, or manifest (.csv / .parquet).")
        String input;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder or URI (local path, hdfs://, s3a://).")
        String out;

        @Option(names = "--detector", required = true, paramLabel = "FILE", description = "Detector file, at the same path on every executor.")
        Path detector;

        @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[N], local[*], spark://host:7077, yarn, k8s://...;"
                + " default: spark-submit's, else local[*].")
        String master;

        @Option(names = "--frames", defaultValue = "32", paramLabel = "N", description = "Frames sampled per video. Default: ${DEFAULT-VALUE}.")
        int frames;

        @Option(names = "--faces", defaultValue = "largest", paramLabel = "largest|all", description = "Faces per frame. Default: ${DEFAULT-VALUE}.")
        String faces;

        @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "Faces per model call. Default: ${DEFAULT-VALUE}.")
        int batch;

        @Option(names = "--files-per-part", defaultValue = "16", paramLabel = "N",
                description = "Files per partition: the unit of work and of commit (what a killed job redoes). Default: ${DEFAULT-VALUE}.")
        int filesPerPart;

        @Option(names = "--csv", description = "Also write OUT/scores.csv/, a folder holding one CSV file of all rows (score lists joined by ';').")
        boolean csv;

        @Option(names = "--assume-crop", description = "Run a detector that does not declare its crops with unmask extract's defaults.")
        boolean assumeCrop;

        @Option(names = "--pre-cropped", description = "The inputs are face crops already: no face detection.")
        boolean preCropped;

        @Option(names = "--json", description = "Print the run's summary (and metrics) as JSON.")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            requireSpark();
            return run();
        }

        /** Apart from call(), so that nothing of Spark is resolved before requireSpark() has said whether it is there. */
        private Integer run() throws JsonProcessingException {
            ScoreJob.Settings settings = new ScoreJob.Settings(input, out, detector, assumeCrop, preCropped, frames, faces, batch, filesPerPart, csv);
            PrintWriter stdout = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ScoreJob.Summary s;
            boolean ours = SparkSession.getDefaultSession().isEmpty();
            SparkSession spark = Sessions.open(master, "unmask batch score");
            try {
                err.println("batch score: " + input + " on " + spark.sparkContext().master() + "; rows into " + out + "/" + ScoreParts.DIR);
                err.flush();
                s = ScoreJob.run(spark, settings);
            } finally {
                // A session this command started ends with it; one the caller had (a test, a notebook) stays.
                if (ours) {
                    spark.stop();
                }
            }
            if (json) {
                stdout.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(s));
            } else {
                stdout.printf("files: %d (%d done before, %d now in %d parts); rows: %d, errors: %d; %.1f s%n", s.files(), s.doneBefore(),
                        s.scoredNow(), s.partsNow(), s.rows(), s.errors(), s.seconds());
                if (s.metrics() != null) {
                    stdout.print(s.metrics().table());
                    stdout.println("metrics: " + out + "/metrics.json");
                }
            }
            if (s.metricsNote() != null) {
                err.println("batch score: " + s.metricsNote());
            }
            stdout.flush();
            err.flush();
            return s.errors() > 0 ? EXIT_SOME_FILES_FAILED : 0;
        }
    }

    @Command(name = "extract", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"unmask extract as a Spark job: face crops and datalists of a video dataset, partitioned by video.",
                    "OUT must be storage that the driver and every executor see (a shared file system path).",
                    "Resumable: finished videos are not redone.", ""})
    static final class Extract implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ROOT", description = "Dataset root folder (seen by every executor).")
        Path root;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, shared by the driver and every executor.")
        String out;

        @Option(names = "--master", paramLabel = "URL", description = "Spark master; default: spark-submit's, else local[*].")
        String master;

        @Option(names = "--layout", paramLabel = "NAME", defaultValue = "auto", description = "ffpp, celebdf, dfdc, folders, or auto. Default: ${DEFAULT-VALUE}.")
        String layout;

        @Option(names = "--compression", paramLabel = "LEVEL", defaultValue = "c23", description = "FaceForensics++ level. Default: ${DEFAULT-VALUE}.")
        String compression;

        @Option(names = "--splits", paramLabel = "DIR", description = "FaceForensics++ split lists (default ROOT/splits).")
        Path splits;

        @Option(names = "--frames", paramLabel = "N", defaultValue = "32", description = "Frames per video. Default: ${DEFAULT-VALUE}.")
        int frames;

        @Option(names = "--face-detector", paramLabel = "NAME", defaultValue = "blazeface", description = "blazeface or haar. Default: ${DEFAULT-VALUE}.")
        String faceDetector;

        @Option(names = "--faces", paramLabel = "WHICH", defaultValue = "largest", description = "largest or all. Default: ${DEFAULT-VALUE}.")
        String faces;

        @Option(names = "--margin", paramLabel = "X", defaultValue = "1.3", description = "Crop side / face box side. Default: ${DEFAULT-VALUE}.")
        double margin;

        @Option(names = "--size", paramLabel = "PX", defaultValue = "224", description = "Crop size in pixels. Default: ${DEFAULT-VALUE}.")
        int size;

        @Option(names = "--resize-kernel", paramLabel = "NAME", defaultValue = "area", description = "area, linear, cubic or lanczos. Default: ${DEFAULT-VALUE}.")
        String kernel;

        @Option(names = "--align", paramLabel = "HOW", defaultValue = "none", description = "none, eyes or gend (as unmask extract --align). Default: ${DEFAULT-VALUE}.")
        String align;

        @Option(names = "--videos-per-part", paramLabel = "N", defaultValue = "8", description = "Videos per partition. Default: ${DEFAULT-VALUE}.")
        int videosPerPart;

        @Option(names = "--retry-errors", description = "Also redo videos that failed in an earlier run.")
        boolean retryErrors;

        @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of ROOT.")
        boolean allowLinksOutsideRoot;

        @Option(names = "--json", description = "Print the run's summary as JSON (unmask extract --json's).")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            requireSpark();
            return run();
        }

        private Integer run() throws JsonProcessingException {
            ExtractJob.Settings settings = new ExtractJob.Settings(root, out, layout, compression, splits, frames, faceDetector, faces, margin, size,
                    kernel, align, retryErrors, allowLinksOutsideRoot, videosPerPart);
            PrintWriter stdout = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ExtractJob.Summary s;
            boolean ours = SparkSession.getDefaultSession().isEmpty();
            SparkSession spark = Sessions.open(master, "unmask batch extract");
            try {
                err.println("batch extract: " + root + " on " + spark.sparkContext().master() + "; crops into " + out);
                err.flush();
                s = ExtractJob.run(spark, settings);
            } finally {
                // A session this command started ends with it; one the caller had (a test, a notebook) stays.
                if (ours) {
                    spark.stop();
                }
            }
            var r = s.report();
            if (json) {
                stdout.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
            } else {
                stdout.printf("videos: %d (%d done before, %d now in %d parts): %d with faces, %d without, %d errors%s%n", r.videos(), r.doneBefore(),
                        r.doneNow(), s.parts(), r.withFaces(), r.withoutFaces(), r.errors(), r.errors() > 0 ? " (see errors.csv)" : "");
            }
            stdout.flush();
            return r.errors() > 0 ? EXIT_SOME_FILES_FAILED : 0;
        }
    }
}
