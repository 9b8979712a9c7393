package dev.unmask.spark;

import dev.unmask.api.ExtractReport;
import dev.unmask.api.Extraction;
import dev.unmask.core.UserError;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.crop.ResizeKernel;
import dev.unmask.media.dataset.DatasetKind;
import dev.unmask.media.dataset.Split;
import dev.unmask.media.dataset.VideoEntry;
import dev.unmask.media.extract.ExtractConfig;
import dev.unmask.media.extract.Extractor;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.video.SamplerConfig;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * {@code unmask batch extract}: {@code unmask extract}'s face crops and datalists, the videos
 * partitioned by video key over the executors. The dataset is listed, and the output's settings
 * checked, once on the driver; each task extracts its videos into OUT (which every executor and
 * the driver must see: a shared file system path), skipping videos whose record is already there;
 * the driver writes the datalists from the records at the end. A killed job resumes as
 * {@code unmask extract} does: finished videos have records, a video in progress is redone.
 */
public final class ExtractJob {
    /** The extraction's settings as {@code unmask extract} takes them; plain values, so that they travel to executors. */
    public record Settings(Path root, String out, String layout, String compression, Path splits, int frames, String faceDetector, String faces,
            double margin, int size, String kernel, String align, boolean retryErrors, boolean allowLinksOutsideRoot, int videosPerPart) {
        public Settings {
            if (videosPerPart < 1) {
                throw new UserError("--videos-per-part must be at least 1, got " + videosPerPart);
            }
            new Recipe(out, frames, faceDetector, faces, margin, size, kernel, align, retryErrors).config();
        }

        ExtractConfig config() {
            return recipe().config();
        }

        Recipe recipe() {
            return new Recipe(out, frames, faceDetector, faces, margin, size, kernel, align, retryErrors);
        }
    }

    /** How crops are made and where they go, as plain values that travel to executors. */
    record Recipe(String out, int frames, String faceDetector, String faces, double margin, int size, String kernel, String align,
            boolean retryErrors) implements Serializable {
        ExtractConfig config() {
            PipelineConfig pipeline = PipelineConfig.DEFAULT
                    .withSampler(SamplerConfig.DEFAULT.withFrames(frames).withDecoderThreads(1))
                    .withSelection(FaceSelection.parse(faces))
                    .withCrop(margin, size, ResizeKernel.parse(kernel))
                    .withAlignment(Alignment.parse(align));
            return new ExtractConfig(Path.of(out), FaceDetectorKind.parse(faceDetector), pipeline, 1, retryErrors);
        }
    }

    /** A video as it travels to an executor. */
    private record Video(String file, String key, int label, String method, String split) implements Serializable {
        VideoEntry entry() {
            return new VideoEntry(Path.of(file), key, label, method, Split.valueOf(split));
        }
    }

    /** One video's outcome: ok, no_face, error (with why), or done (by an earlier run). */
    public record Outcome(String key, String status, String error) implements Serializable {}

    public record Summary(ExtractReport report, List<Outcome> outcomes, int parts, double seconds) {}

    private ExtractJob() {}

    public static Summary run(SparkSession spark, Settings s) {
        long t0 = System.nanoTime();
        DatasetKind kind = s.layout().equals("auto") ? null : DatasetKind.parse(s.layout());
        Extraction.Plan plan = Extraction.plan(s.root(), kind, s.compression(), s.splits(), s.allowLinksOutsideRoot());
        ExtractConfig config = s.config();
        Extraction.prepare(plan, config);
        List<Tuple2<String, Video>> videos = new ArrayList<>();
        for (VideoEntry e : plan.entries()) {
            videos.add(new Tuple2<>(e.key(), new Video(e.file().toAbsolutePath().toString(), e.key(), e.label(), e.method(), e.split().name())));
        }
        int parts = Math.max(1, (videos.size() + s.videosPerPart() - 1) / s.videosPerPart());
        List<Outcome> outcomes = new ArrayList<>();
        Recipe recipe = s.recipe();
        if (!videos.isEmpty()) {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            spark.sparkContext().setJobDescription("unmask extract: " + videos.size() + " videos");
            // Partitioned by video key: a video belongs to one task, which alone writes its crops and record.
            outcomes.addAll(jsc.parallelizePairs(videos).partitionBy(new HashPartitioner(parts)).values()
                    .mapPartitions((Iterator<Video> it) -> extractPart(recipe, it).iterator()).collect());
        }
        java.util.Set<String> extractedNow = new java.util.HashSet<>();
        outcomes.stream().filter(o -> !o.status().equals("done")).forEach(o -> extractedNow.add(o.key()));
        ExtractReport report = Extraction.summarize(plan, config, extractedNow, (System.nanoTime() - t0) / 1e9);
        return new Summary(report, outcomes, parts, (System.nanoTime() - t0) / 1e9);
    }

    /** Runs on an executor: its videos, one after another on one face pipeline. */
    private static List<Outcome> extractPart(Recipe recipe, Iterator<Video> videos) {
        List<VideoEntry> entries = new ArrayList<>();
        videos.forEachRemaining(v -> entries.add(v.entry()));
        if (entries.isEmpty()) {
            return List.of();
        }
        List<Outcome> out = new ArrayList<>();
        for (Extractor.VideoOutcome o : Extraction.extractEach(entries, recipe.config())) {
            out.add(new Outcome(o.key(), o.status(), o.error()));
        }
        return out;
    }
}
