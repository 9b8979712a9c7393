package dev.unmask.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.unmask.api.BatchListener;
import dev.unmask.api.BatchReport;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import dev.unmask.api.LoadOptions;
import dev.unmask.core.UserError;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.progress.ProgressBar;
import dev.unmask.media.dataset.MediaFilesUnder;
import dev.unmask.media.detect.DetectJournal;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.video.SamplerConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code unmask detect}: videos and images in, a verdict per file out, with explanations when asked. */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Judge videos and images with a trained detector: fake, real, no_face (no face to judge: none found, or only"
                + " weak detections, listed as weak_faces) or error (with the reason). A face is judged when BlazeFace's confidence is"
                + " at least 0.70 and it is seen in at least min(3, frames sampled) and 10% of the sampled frames."
                + " A video's score is the mean fake probability over its sampled frames, per face;"
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

    @Option(names = "--detector", required = true, paramLabel = "D", converter = DetectorArgument.class,
            description = "Detector file written by unmask train (or demo), or a GenD detector: its folder, or its name (e.g. gend_clip_l14) or"
                    + " Hub repo once pulled (unmask pull gend_clip_l14). A GenD detector's faces are aligned as GenD's were (BlazeFace's eyes"
                    + " put on GenD's template's eyes by a similarity, scale 1.3, 256 px, bilinear; README, crop contract).")
    String detector;

    @Option(names = "--backbone", paramLabel = "DIR", description = "Backbone folder, when not where the detector was trained (its SHA-256 must match).")
    Path backbone;

    @Option(names = "--explain", description = "Write heat-map overlays of each file's most suspicious faces and a contact sheet of its frames.")
    boolean explain;

    @Option(names = "--explain-top", defaultValue = "3", paramLabel = "N", description = "Overlays per file. Default: ${DEFAULT-VALUE}.")
    int explainTop;

    @Option(names = "--explain-method", defaultValue = "auto", paramLabel = "METHOD",
            description = "auto, cls-attention, grad-attention or grad-cam. auto: the last block's CLS attention for fine-tuned ViT detectors (as the paper shows), gradient-weighted attention"
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

    @Option(names = "--frames", defaultValue = "32", paramLabel = "N|auto", description = "Frames sampled per video, evenly in time; auto: 8 of"
            + " the 32, then 16, then all 32, stopping as soon as more frames are unlikely to change the verdict (each face's mean"
            + " clear of the threshold by a margin; the report's sampling says how many frames and why). Default: ${DEFAULT-VALUE}.")
    String frames;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "Faces per model call. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--assume-crop", description = "Run a detector that does not declare how its training faces were cropped, with BlazeFace,"
            + " margin 1.3, 224 px, area resize (unmask extract's defaults); its accuracy is unknown if that is not how it was trained.")
    boolean assumeCrop;

    @Option(names = "--pre-cropped", description = "The inputs are face crops already (as in downloaded datasets): no face detection, only the"
            + " detector's resize and normalisation; each image is one face (for a GenD folder: faces aligned as extract --align"
            + " gend makes them).")
    boolean preCropped;

    @Override
    public Integer call() {
        FaceSelection selection = FaceSelection.parse(faces);
        ExplanationMethod method = explainMethod.equals("auto") ? null : ExplanationMethod.parse(explainMethod);
        Path outDir = out != null ? out : explain ? DEFAULT_OUT : null;
        if (retryErrors && !resume) {
            throw new UserError("--retry-errors goes with --resume (and --out DIR): it retries the failed files of an earlier run");
        }
        boolean auto = frames.trim().equalsIgnoreCase("auto");
        CheckOptions options = new CheckOptions(auto ? SamplerConfig.DEFAULT_FRAMES : frameCount(frames), selection, batch, explain, explainTop, method, outDir,
                !resume ? CheckOptions.Resume.NO : retryErrors ? CheckOptions.Resume.RETRY_ERRORS : CheckOptions.Resume.YES, auto);
        List<Path> files = expand(inputs);
        if (!preCropped) {
            // While the engine and weights load: OpenCV (images, faces), and FFmpeg only when there are videos.
            Natives.loadInBackground(files.stream().anyMatch(f -> !imageName(f)), true);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BatchReport report;
        try (Detector d = Detector.load(DetectorArgument.resolve(detector), new LoadOptions(backbone, assumeCrop, preCropped))) {
            report = d.checkAll(files, options, printer(stdout, err, json, "detect"));
        }
        err.println(report.summaryLine() + (outDir != null ? "; report: " + outDir.resolve(DetectJournal.REPORT) : ""));
        stdout.flush();
        err.flush();
        return report.summary().error() > 0 ? EXIT_SOME_FILES_FAILED : 0;
    }

    /** A hint only (files are told apart by content later): whether the name says still image. */
    static boolean imageName(Path f) {
        String n = f.getFileName() == null ? "" : f.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp");
    }

    static int frameCount(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new UserError("--frames takes a number of frames or auto, got '" + StrictJson.oneLine(s) + "'");
        }
    }

    /** Prints each file's report as it is done (a line of text, or of JSON) under a progress bar over the files. */
    static BatchListener printer(PrintWriter stdout, PrintWriter err, boolean json, String label) {
        return new BatchListener() {
            private ProgressBar bar;

            @Override
            public void started(int toDo, int doneBefore) {
                bar = ProgressBar.start(err, System.console() != null, label, toDo, ProgressBar.Unit.of("files"));
            }

            @Override
            public void fileDone(FileCheck check, boolean earlier) {
                // The bar leaves the terminal while a file's line is printed, and comes back with the count.
                bar.hide();
                stdout.println(json ? jsonLine(check) : line(check));
                stdout.flush();
                if (!earlier) {
                    bar.advance(null);
                }
            }
        };
    }

    /** Files named, and media files found under folders named, in order. */
    static List<Path> expand(List<Path> inputs) {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                List<Path> found;
                try {
                    found = MediaFilesUnder.media(p);
                } catch (UserError e) {
                    found = List.of();
                }
                if (found.isEmpty()) {
                    // A folder that gives no media stays in the batch as an item of its own, which gets its error.
                    files.add(p);
                }
                files.addAll(found);
            } else {
                // A missing or unreadable file is that file's error, reported in its turn; the batch goes on.
                files.add(p);
            }
        }
        return files;
    }

    static String jsonLine(Object report) {
        try {
            return StrictJson.mapper().writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file's report in one line of text. */
    static String line(FileCheck r) {
        String verdict = r.verdict().id();
        String path = r.path();
        int frames = r.frames();
        int faces = r.faces();
        return switch (r.verdict()) {
            case FAKE, REAL -> String.format(Locale.ROOT, "%-7s %.3f  %s  (%d frame%s%s, %d face%s, %.1f s)", verdict, r.score(), path,
                    frames, frames == 1 ? "" : "s", r.sampling() == null ? "" : " of " + r.sampling().planned() + " (auto)", faces, faces == 1 ? "" : "s", r.timings().wall() == null ? Double.NaN : r.timings().wall())
                    + (r.explanation() != null && !r.explanation().overlays().isEmpty()
                    ? "  overlays: " + Path.of(r.explanation().overlays().get(0).file()).getParent() : "");
            case NO_FACE -> String.format(Locale.ROOT, "%-7s   -    %s  (no face in %d frame%s)", verdict, path, frames, frames == 1 ? "" : "s")
                    + (r.weakFaces().isEmpty() ? "" : String.format(Locale.ROOT, "; %d weak detection%s not judged", r.weakFaces().size(),
                    r.weakFaces().size() == 1 ? "" : "s"));
            case ERROR -> {
                String error = r.error();
                yield String.format(Locale.ROOT, "%-7s   -    %s: %s", verdict, path, error.startsWith(path + ": ") ? error.substring(path.length() + 2) : error);
            }
        };
    }
}
