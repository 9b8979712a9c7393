package dev.unmask.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.progress.ProgressBar;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.dataset.MediaFilesUnder;
import dev.unmask.media.detect.CropRecipe;
import dev.unmask.media.detect.DetectJournal;
import dev.unmask.media.detect.DetectSettings;
import dev.unmask.media.detect.DetectionRun;
import dev.unmask.media.detect.FileReport;
import dev.unmask.media.detect.Verdict;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code unmask detect}: videos and images in, a verdict per file out, with explanations when asked. */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Judge videos and images with a trained detector: fake, real, no_face (no face in any sampled frame)"
                + " or error (with the reason). A video's score is the mean fake probability over its sampled frames, per face;"
                + " the file's score is its most suspicious face's. Verdicts use the threshold stored in the detector.",
            "Faces are found and cropped as the detector's training data declares (its crop contract); a detector whose crops"
                    + " detect cannot reproduce is refused.",
            "Exit status: 0 every file judged, 3 some files are 'error' (the others were judged), 2 usage error.", ""})
final class DetectCommand implements Callable<Integer> {
    static final int EXIT_SOME_FILES_FAILED = Main.EXIT_SOME_ITEMS_FAILED;
    static final Path DEFAULT_OUT = Path.of("unmask-detect");

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", converter = LocalPathConverter.class, description = "Videos and images; folders are searched for them at any depth.")
    List<Path> inputs;

    @Option(names = "--detector", required = true, paramLabel = "D.unmask", converter = LocalPathConverter.class, description = "Detector file written by unmask train (or demo).")
    Path detector;

    @Option(names = "--backbone", paramLabel = "DIR", description = "Backbone folder, when not where the detector was trained (its SHA-256 must match).")
    Path backbone;

    @Option(names = "--explain", description = "Write heat-map overlays of each file's most suspicious faces and a contact sheet of its frames.")
    boolean explain;

    @Option(names = "--explain-top", defaultValue = "3", paramLabel = "N", description = "Overlays per file. Default: ${DEFAULT-VALUE}.")
    int explainTop;

    @Option(names = "--explain-method", defaultValue = "auto", paramLabel = "auto|cls-attention|grad-attention|grad-cam",
            description = "auto: the last block's CLS attention for fine-tuned ViT detectors (as the paper shows), gradient-weighted attention"
                    + " (Chefer et al. 2021) for a frozen ViT's probe, whose attention does not depend on the head, and Grad-CAM"
                    + " (Selvaraju et al. 2017) on the last stage for ConvNet detectors. Default: ${DEFAULT-VALUE}.")
    String explainMethod;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for results: reports.jsonl, one line per file as it is done, report.json"
            + " at the end (and, with --explain, overlays). Default with --explain: ./unmask-detect; without: no files written.")
    Path out;

    @Option(names = "--resume", description = "Finish the run whose results are in --out: files already judged there (same path, size and"
            + " modification time) are not done again. Without it, a folder holding an earlier run is refused.")
    boolean resume;

    @Option(names = "--retry-errors", description = "With --resume: also judge again the files whose earlier verdict is 'error'"
            + " (their new result replaces the old one). Without it they count as done.")
    boolean retryErrors;

    @Option(names = "--json", description = "Print one JSON object per file, one per line (path, verdict, score, frames, faces, error, ...).")
    boolean json;

    @Option(names = "--faces", defaultValue = "largest", paramLabel = "largest|all",
            description = "largest: one face per frame; all: every face, followed across frames, scored per person. Default: ${DEFAULT-VALUE}.")
    String faces;

    @Option(names = "--frames", defaultValue = "32", paramLabel = "N", description = "Frames sampled per video, evenly in time. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "Faces per model call. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--assume-crop", description = "Run a detector that does not declare how its training faces were cropped, with BlazeFace,"
            + " margin 1.3, 224 px, area resize (unmask extract's defaults); its accuracy is unknown if that is not how it was trained.")
    boolean assumeCrop;

    @Override
    public Integer call() {
        FaceSelection selection = FaceSelection.parse(faces);
        ExplanationMethod method = explainMethod.equals("auto") ? null : ExplanationMethod.parse(explainMethod);
        Path outDir = out != null ? out : explain ? DEFAULT_OUT : null;
        if (outDir != null && Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new UserError(outDir + " is a file; --out names a folder");
        }
        if (resume && outDir == null) {
            throw new UserError("--resume needs --out DIR, the folder of the run to finish");
        }
        if (retryErrors && !resume) {
            throw new UserError("--retry-errors goes with --resume (and --out DIR): it retries the failed files of an earlier run");
        }
        if (outDir != null) {
            DetectJournal.refuseEarlierRun(outDir, resume);
        }
        DetectSettings settings = new DetectSettings(batch, explain, explainTop, method, outDir, 64);
        PipelineConfig base = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(frames)).withSelection(selection);
        List<Path> files = expand(inputs);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = System.console() != null;
        Outcome outcome = run(detector, backbone, files, base, settings, assumeCrop, outDir == null ? null : new Results(outDir, resume, retryErrors),
                n -> ProgressBar.start(err, terminal, "detect", n, ProgressBar.Unit.of("files")), f -> {
                    stdout.println(json ? jsonLine(f.json()) : line(f.json()));
                    stdout.flush();
                });
        if (outDir != null) {
            writeReport(outDir.resolve(DetectJournal.REPORT), outcome.report());
        }
        err.println(outcome.summary() + (outDir != null ? "; report: " + outDir.resolve(DetectJournal.REPORT) : ""));
        stdout.flush();
        err.flush();
        return outcome.count(Verdict.ERROR) > 0 ? EXIT_SOME_FILES_FAILED : 0;
    }

    /**
     * Results kept in {@code dir} as each file is done ({@link DetectJournal}); {@code resume} keeps
     * an earlier run's, all but its {@code error} verdicts when {@code retryErrors}.
     */
    record Results(Path dir, boolean resume, boolean retryErrors) {}

    /**
     * A file judged, in batch order.
     *
     * @param json   its report, as printed with --json and kept in report.json
     * @param report the report as made now, or null when an earlier run made it (resumed)
     */
    record Finished(int index, ObjectNode json, FileReport report) {}

    /** What a batch gave: the verdict counts, report.json's content, and how many files an earlier run had done. */
    record Outcome(Map<Verdict, Integer> counts, ObjectNode report, double seconds, int doneBefore) {
        int count(Verdict v) {
            return counts.getOrDefault(v, 0);
        }

        String summary() {
            int n = counts.values().stream().mapToInt(Integer::intValue).sum();
            return String.format(Locale.ROOT, "detect: %d file%s in %.1f s: %d fake, %d real, %d no_face, %d error", n, n == 1 ? "" : "s", seconds,
                    count(Verdict.FAKE), count(Verdict.REAL), count(Verdict.NO_FACE), count(Verdict.ERROR))
                    + (doneBefore > 0 ? String.format(Locale.ROOT, " (%d done before, %d now)", doneBefore, n - doneBefore) : "");
        }
    }

    /**
     * Loads the detector, checks its crop contract, runs the batch; shared with {@code unmask demo}.
     * With {@code results}, each file's report is kept there as it is done, and files an earlier
     * run did are not done again; {@code onFile} gets every file in batch order either way.
     */
    static Outcome run(Path detectorFile, Path backboneDir, List<Path> files, PipelineConfig base, DetectSettings settings, boolean assumeCrop,
                       Results results, IntFunction<ProgressBar> progress, Consumer<Finished> onFile) {
        long t0 = System.nanoTime();
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        ObjectNode report = StrictJson.mapper().createObjectNode();
        int[] doneBefore = {0};
        try (NDManager manager = NDManager.newBaseManager(); Detector d = Detector.load(detectorFile, backboneDir, manager)) {
            CropRecipe recipe = CropRecipe.of(d.manifest(), detectorFile, assumeCrop ? CropRecipe.assumed(FaceDetectorKind.BLAZEFACE) : null);
            PipelineConfig config = recipe.apply(base);
            try (FacePipeline pipeline = FacePipeline.open(recipe.faceDetector(), config)) {
                recipe.requireReproducedBy(pipeline.contract(), detectorFile);
                DetectionRun run = new DetectionRun(d, pipeline, settings);
                ObjectNode det = report.putObject("detector");
                det.put("path", detectorFile.toAbsolutePath().toString());
                det.put("approach", d.manifest().path("approach").asText());
                det.put("features", d.manifest().path("head").path("features").asText());
                det.put("threshold", d.threshold());
                det.put("backbone", d.manifest().path("backbone").path("name").asText());
                det.put("backbone_sha256", d.manifest().path("backbone").path("sha256").asText());
                det.set("crop_contract", StrictJson.mapper().valueToTree(pipeline.contract().toMap()));
                det.put("crop_contract_declared", recipe.declared());
                ObjectNode s = report.putObject("settings");
                s.put("frames", config.sampler().frames());
                s.put("faces", config.selection().name().toLowerCase(Locale.ROOT));
                s.put("batch", settings.batch());
                s.put("video_score", "mean fake probability over a face's sampled frames; the file's score is the highest face score");
                if (settings.explain()) {
                    s.put("explain_top", settings.explainTop());
                    s.put("explanation_method", run.method().id());
                    s.put("explanation", run.method().description());
                }
                ArrayNode list = report.putArray("files");
                try (DetectJournal journal = results == null ? null : DetectJournal.open(results.dir(), identity(detectorFile, report),
                        results.resume())) {
                    // What each file is now, taken once: the record made from it says so, and a resume compares with it.
                    List<DetectJournal.Source> sources = files.stream().map(f -> journal == null ? null : DetectJournal.Source.of(f)).toList();
                    ObjectNode[] earlier = new ObjectNode[files.size()];
                    for (int i = 0; i < files.size(); i++) {
                        earlier[i] = journal == null ? null : journal.finished(sources.get(i));
                        if (earlier[i] != null && results.retryErrors() && verdictOf(earlier[i]) == Verdict.ERROR) {
                            earlier[i] = null;
                        }
                        doneBefore[0] += earlier[i] == null ? 0 : 1;
                    }
                    ProgressBar bar = progress.apply(files.size() - doneBefore[0]);
                    int[] next = {0};
                    Consumer<Finished> emit = f -> {
                        counts.merge(verdictOf(f.json()), 1, Integer::sum);
                        list.add(f.json());
                        // The bar leaves the terminal while a file's line is printed, and comes back with the count.
                        bar.hide();
                        onFile.accept(f);
                    };
                    try {
                        run.run(files, i -> earlier[i] == null, r -> {
                            for (; next[0] < r.index(); next[0]++) {
                                emit.accept(new Finished(next[0], earlier[next[0]], null));
                            }
                            ObjectNode json = r.toJson();
                            if (journal != null) {
                                journal.append(sources.get(r.index()), json);
                            }
                            emit.accept(new Finished(r.index(), json, r));
                            next[0]++;
                            bar.advance(null);
                        });
                        for (; next[0] < files.size(); next[0]++) {
                            emit.accept(new Finished(next[0], earlier[next[0]], null));
                        }
                    } finally {
                        bar.close();
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode sum = report.putObject("summary");
        for (Verdict v : Verdict.values()) {
            sum.put(v.id(), counts.getOrDefault(v, 0));
        }
        sum.put("wall_s", seconds);
        return new Outcome(counts, report, seconds, doneBefore[0]);
    }

    /** What a run's results depend on, which a resumed run must share: the detector's bytes, its crops, sampling and explanations. */
    private static ObjectNode identity(Path detectorFile, ObjectNode report) {
        ObjectNode id = StrictJson.mapper().createObjectNode();
        id.put("detector_sha256", Hashing.sha256(detectorFile));
        id.set("crop_contract", report.path("detector").path("crop_contract").deepCopy());
        ObjectNode settings = ((ObjectNode) report.path("settings")).deepCopy();
        // Batching changes how fast, not what.
        settings.remove("batch");
        id.set("settings", settings);
        return id;
    }

    private static Verdict verdictOf(JsonNode json) {
        String id = json.path("verdict").asText();
        for (Verdict v : Verdict.values()) {
            if (v.id().equals(id)) {
                return v;
            }
        }
        throw new UserError("a kept report has an unknown verdict: " + id);
    }

    /** Files named, and media files found under folders named, in order. */
    static List<Path> expand(List<Path> inputs) {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                List<Path> found = MediaFilesUnder.media(p);
                if (found.isEmpty()) {
                    throw new UserError(p + ": no videos or images in this folder");
                }
                files.addAll(found);
            } else {
                // A missing or unreadable file is that file's error, reported in its turn; the batch goes on.
                files.add(p);
            }
        }
        return files;
    }

    static void writeReport(Path file, ObjectNode report) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.writeString(file, StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } catch (IOException e) {
            throw new UserError(file + ": cannot write the report (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    static String jsonLine(JsonNode report) {
        try {
            return StrictJson.mapper().writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file's report in one line of text, from its JSON (which is all that is kept of a file an earlier run did). */
    static String line(JsonNode r) {
        String verdict = r.path("verdict").asText();
        String path = r.path("path").asText();
        int frames = r.path("frames").asInt();
        int faces = r.path("faces").asInt();
        return switch (verdictOf(r)) {
            case FAKE, REAL -> String.format(Locale.ROOT, "%-7s %.3f  %s  (%d frame%s, %d face%s, %.1f s)", verdict, r.path("score").asDouble(), path,
                    frames, frames == 1 ? "" : "s", faces, faces == 1 ? "" : "s", r.path("timings").path("wall_s").asDouble(Double.NaN))
                    + (r.path("explanation").path("overlays").size() > 0
                    ? "  overlays: " + Path.of(r.path("explanation").path("overlays").get(0).path("file").asText()).getParent() : "");
            case NO_FACE -> String.format(Locale.ROOT, "%-7s   -    %s  (no face in %d frame%s)", verdict, path, frames, frames == 1 ? "" : "s");
            case ERROR -> {
                String error = r.path("error").asText();
                yield String.format(Locale.ROOT, "%-7s   -    %s: %s", verdict, path, error.startsWith(path + ": ") ? error.substring(path.length() + 2) : error);
            }
        };
    }
}
