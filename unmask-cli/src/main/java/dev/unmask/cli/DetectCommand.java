package dev.unmask.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.dataset.MediaFilesUnder;
import dev.unmask.media.detect.CropRecipe;
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
    static final int EXIT_SOME_FILES_FAILED = 3;
    static final Path DEFAULT_OUT = Path.of("unmask-detect");

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "Videos and images; folders are searched for them at any depth.")
    List<Path> inputs;

    @Option(names = "--detector", required = true, paramLabel = "D.unmask", description = "Detector file written by unmask train (or demo).")
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

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for report.json (and, with --explain, overlays). Default with --explain: ./"
            + "unmask-detect; without: no files written.")
    Path out;

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
        DetectSettings settings = new DetectSettings(batch, explain, explainTop, method, outDir, 64);
        PipelineConfig base = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(frames)).withSelection(selection);
        List<Path> files = expand(inputs);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Outcome outcome = run(detector, backbone, files, base, settings, assumeCrop, json ? r -> stdout.println(jsonLine(r)) : r -> stdout.println(line(r)));
        if (outDir != null) {
            writeReport(outDir.resolve("report.json"), outcome.report());
        }
        err.println(outcome.summary() + (outDir != null ? "; report: " + outDir.resolve("report.json") : ""));
        stdout.flush();
        err.flush();
        return outcome.count(Verdict.ERROR) > 0 ? EXIT_SOME_FILES_FAILED : 0;
    }

    /** What a batch gave: the verdict counts and report.json's content. */
    record Outcome(Map<Verdict, Integer> counts, ObjectNode report, double seconds) {
        int count(Verdict v) {
            return counts.getOrDefault(v, 0);
        }

        String summary() {
            int n = counts.values().stream().mapToInt(Integer::intValue).sum();
            return String.format(Locale.ROOT, "detect: %d file%s in %.1f s: %d fake, %d real, %d no_face, %d error", n, n == 1 ? "" : "s", seconds,
                    count(Verdict.FAKE), count(Verdict.REAL), count(Verdict.NO_FACE), count(Verdict.ERROR));
        }
    }

    /** Loads the detector, checks its crop contract, runs the batch; shared with {@code unmask demo}. */
    static Outcome run(Path detectorFile, Path backboneDir, List<Path> files, PipelineConfig base, DetectSettings settings, boolean assumeCrop,
                       java.util.function.Consumer<FileReport> onFile) {
        long t0 = System.nanoTime();
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        ObjectNode report = StrictJson.mapper().createObjectNode();
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
                    s.put("explanation_method", run.method().id());
                    s.put("explanation", run.method().description());
                }
                ArrayNode list = report.putArray("files");
                run.run(files, r -> {
                    counts.merge(r.verdict(), 1, Integer::sum);
                    list.add(r.toJson());
                    onFile.accept(r);
                });
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode sum = report.putObject("summary");
        for (Verdict v : Verdict.values()) {
            sum.put(v.id(), counts.getOrDefault(v, 0));
        }
        sum.put("wall_s", seconds);
        return new Outcome(counts, report, seconds);
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

    static String jsonLine(FileReport r) {
        try {
            return StrictJson.mapper().writeValueAsString(r.toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String line(FileReport r) {
        return switch (r.verdict()) {
            case FAKE, REAL -> String.format(Locale.ROOT, "%-7s %.3f  %s  (%d frame%s, %d face%s, %.1f s)", r.verdict().id(), r.score(), r.path(),
                    r.framesSampled(), r.framesSampled() == 1 ? "" : "s", r.tracks().size(), r.tracks().size() == 1 ? "" : "s", r.timings().wall())
                    + (r.explanation() != null && !r.explanation().overlays().isEmpty()
                    ? "  overlays: " + r.explanation().overlays().get(0).file().getParent() : "");
            case NO_FACE -> String.format(Locale.ROOT, "%-7s   -    %s  (no face in %d frame%s)", r.verdict().id(), r.path(), r.framesSampled(),
                    r.framesSampled() == 1 ? "" : "s");
            case ERROR -> String.format(Locale.ROOT, "%-7s   -    %s: %s", r.verdict().id(), r.path(),
                    r.error().startsWith(r.path() + ": ") ? r.error().substring(r.path().length() + 2) : r.error());
        };
    }
}
