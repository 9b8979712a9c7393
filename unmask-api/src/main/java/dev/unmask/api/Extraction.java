package dev.unmask.api;

import dev.unmask.core.UserError;
import dev.unmask.core.io.InsideRoot;
import dev.unmask.core.progress.ProgressBar;
import dev.unmask.media.dataset.CelebDf;
import dev.unmask.media.dataset.DatasetKind;
import dev.unmask.media.dataset.Datasets;
import dev.unmask.media.dataset.VideoEntry;
import dev.unmask.media.extract.ExtractConfig;
import dev.unmask.media.extract.Extractor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Face crops and datalists from a video dataset (FaceForensics++, Celeb-DF v2, DFDC, or real/ +
 * fake/ folders): frames sampled, faces found and cropped by the pipeline's crop contract,
 * lossless PNGs and one datalist per split written. Resumable: finished videos are skipped.
 */
public final class Extraction {
    /** A progress bar that shows nothing, for callers with their own way of reporting. */
    public static final IntFunction<ProgressBar> QUIET = total -> ProgressBar.start(new PrintWriter(Writer.nullWriter()), false, "extract", total,
            ProgressBar.Unit.of("videos"));

    private Extraction() {}

    /**
     * @param kind        the dataset's layout, or null to recognise it
     * @param compression FaceForensics++'s compression level (c23, c40, raw)
     * @param splits      FaceForensics++'s split files' folder, or null for the dataset's own
     * @param allowLinksOutsideRoot follow videos and images that are symlinks to places outside {@code root}
     * @param progress    a bar over the videos left to do, given their number once the settings are checked
     */
    public static ExtractReport run(Path root, DatasetKind kind, String compression, Path splits, boolean allowLinksOutsideRoot,
                                    ExtractConfig config, IntFunction<ProgressBar> progress) {
        Plan plan = plan(root, kind, compression, splits, allowLinksOutsideRoot);
        return ExtractReport.of(config.out(), new Extractor(config).run(plan.entries(), plan.dataset(), progress));
    }

    /**
     * A dataset's videos, listed and checked once (on a Spark driver), for an extraction spread
     * over processes that share {@code config.out()}: {@link #prepare} once, {@link #extractEach}
     * on disjoint sets of the entries anywhere, {@link #summarize} once at the end.
     */
    public record Plan(DatasetKind kind, List<VideoEntry> entries, Map<String, Object> dataset) {}

    /** Lists and checks a dataset's videos as {@link #run} does, extracting nothing. */
    public static Plan plan(Path root, DatasetKind kind, String compression, Path splits, boolean allowLinksOutsideRoot) {
        Unmask.configureEngine();
        if (!Files.isDirectory(root)) {
            throw new UserError(root + ": no such directory");
        }
        DatasetKind k = kind != null ? kind : recognise(root);
        List<VideoEntry> entries = Datasets.scan(k, root, compression, splits);
        InsideRoot inside = InsideRoot.of(root, allowLinksOutsideRoot);
        for (VideoEntry e : entries) {
            inside.require(e.file(), e.file().toString());
        }
        return new Plan(k, entries, Datasets.description(k, root, compression, splits));
    }

    /** Checks (or writes) the output folder's settings and clears what a killed run left half-written. */
    public static void prepare(Plan plan, ExtractConfig config) {
        new Extractor(config).prepare(plan.dataset());
    }

    /** Extracts the entries that have no record in {@code config.out()} yet, one after another; every entry's outcome, in order. */
    public static List<Extractor.VideoOutcome> extractEach(List<VideoEntry> entries, ExtractConfig config) {
        Unmask.configureEngine();
        return new Extractor(config).extractEach(entries);
    }

    /** Writes the datalists, errors and summary of the whole plan from the records on disk; {@code extractedNow}: the keys of the videos this run extracted. */
    public static ExtractReport summarize(Plan plan, ExtractConfig config, java.util.Set<String> extractedNow, double seconds) {
        return ExtractReport.of(config.out(), new Extractor(config).summarize(plan.entries(), extractedNow, seconds));
    }

    /** The layout of a dataset folder, from the files that mark each. */
    public static DatasetKind recognise(Path root) {
        if (Files.isDirectory(root.resolve("original_sequences"))) {
            return DatasetKind.FFPP;
        }
        if (Files.isRegularFile(root.resolve(CelebDf.TEST_LIST))) {
            return DatasetKind.CELEBDF;
        }
        if (Files.isRegularFile(root.resolve("metadata.json")) || hasPartMetadata(root)) {
            return DatasetKind.DFDC;
        }
        if (Files.isDirectory(root.resolve("real")) || Files.isDirectory(root.resolve("fake")) || Files.isDirectory(root.resolve("train"))) {
            return DatasetKind.FOLDERS;
        }
        throw new UserError(root + ": not a dataset layout Unmask knows (FaceForensics++, Celeb-DF v2, DFDC, or real/ + fake/); "
                + "name it with --layout");
    }

    private static boolean hasPartMetadata(Path root) {
        try (var s = Files.list(root)) {
            return s.anyMatch(p -> Files.isRegularFile(p.resolve("metadata.json")));
        } catch (IOException e) {
            return false;
        }
    }
}
