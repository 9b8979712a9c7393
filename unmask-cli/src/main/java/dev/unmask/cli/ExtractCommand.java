package dev.unmask.cli;

import dev.unmask.core.progress.ProgressBar;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.crop.CropContract;
import dev.unmask.media.crop.GenDTemplate;
import dev.unmask.media.crop.ResizeKernel;
import dev.unmask.media.dataset.DatasetKind;
import dev.unmask.media.extract.ExtractConfig;
import dev.unmask.api.ExtractReport;
import dev.unmask.api.Extraction;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.video.SamplerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "extract", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Turn a video dataset into face crops (PNG) and datalists",
                "(relative_path,label,video; one CSV per split).",
                "Layouts: ffpp (FaceForensics++, official splits/*.json), celebdf (Celeb-DF v2,",
                "List_of_testing_videos.txt), dfdc (metadata.json per part), folders (real/ and",
                "fake/, optionally under train/ val/ test/).",
                "Labels: 0 real, >= 1 fake (FF++: 1 Deepfakes, 2 Face2Face, 3 FaceSwap,",
                "4 NeuralTextures, 5 FaceShifter).",
                "Resumable: run the same command again; finished videos are not redone.", ""})
final class ExtractCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ROOT", description = "Dataset root folder.")
    Path root;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (crops, datalists, state).")
    Path out;

    @Option(names = "--layout", paramLabel = "NAME", defaultValue = "auto",
            description = "ffpp, celebdf, dfdc, folders, or auto (from what ROOT holds). Default: ${DEFAULT-VALUE}.")
    String layout;

    @Option(names = "--compression", paramLabel = "LEVEL", defaultValue = "c23",
            description = "FaceForensics++ compression level, one per run: raw, c23, c40. Default: ${DEFAULT-VALUE}.")
    String compression;

    @Option(names = "--splits", paramLabel = "DIR", description = "FaceForensics++ split lists train/val/test.json (default ROOT/splits).")
    Path splits;

    @Option(names = "--frames", paramLabel = "N", defaultValue = "32", description = "Frames per video, evenly spaced in time. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--face-detector", paramLabel = "NAME", defaultValue = "blazeface",
            description = "blazeface (needs bin/setup-models) or haar. Default: ${DEFAULT-VALUE}.")
    String faceDetector;

    @Option(names = "--faces", paramLabel = "WHICH", defaultValue = "largest",
            description = "largest (one face per frame) or all (each person tracked). Default: ${DEFAULT-VALUE}.")
    String faces;

    @Option(names = "--margin", paramLabel = "X", defaultValue = "1.3", description = "Crop side / face box side. Default: ${DEFAULT-VALUE}.")
    double margin;

    @Option(names = "--size", paramLabel = "PX", description = "Crop size in pixels. Default: 224 (256 with --align gend).")
    Integer size;

    @Option(names = "--resize-kernel", paramLabel = "NAME",
            description = "area, linear, cubic or lanczos. Default: area (linear with --align gend, whose warp cannot average areas).")
    String kernel;

    @Option(names = "--align", paramLabel = "HOW", defaultValue = "none",
            description = "none; eyes: turn each crop about the face's centre so that the eyes are level; or gend: GenD's aligned"
                    + " faces, BlazeFace's eyes put on GenD's template's eyes (--margin is GenD's scale), the"
                    + " crops a GenD detector folder judges (BlazeFace only). Default: ${DEFAULT-VALUE}.")
    String align;

    @Option(names = "--workers", paramLabel = "N", description = "Videos processed at once (default: number of cores).")
    Integer workers;

    @Option(names = "--retry-errors", description = "Also redo videos that failed in an earlier run.")
    boolean retryErrors;

    @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of ROOT; without it a video or image"
            + " that is a link to somewhere else is refused.")
    boolean allowLinksOutsideRoot;

    @Option(names = "--json", description = "Print the run's summary as JSON (videos done, with and without faces, errors, datalists, times).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        DatasetKind kind = layout.equals("auto") ? null : DatasetKind.parse(layout);
        FaceDetectorKind detector = FaceDetectorKind.parse(faceDetector);
        Alignment alignment = Alignment.parse(align);
        // GenD's own crop side and sampling, unless asked otherwise.
        boolean gend = alignment == Alignment.GEND;
        PipelineConfig pipeline = PipelineConfig.DEFAULT
                .withSampler(SamplerConfig.DEFAULT.withFrames(frames).withDecoderThreads(1))
                .withSelection(FaceSelection.parse(faces))
                .withCrop(margin, size != null ? size : gend ? GenDTemplate.SIZE : CropContract.DEFAULT_SIZE,
                        ResizeKernel.parse(kernel != null ? kernel : gend ? "linear" : "area"))
                .withAlignment(alignment);
        int n = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        ExtractConfig config = new ExtractConfig(out, detector, pipeline, n, retryErrors);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        boolean terminal = System.console() != null;
        ExtractReport s = Extraction.run(root, kind, compression, splits, allowLinksOutsideRoot, config, total -> {
            // Printed once the settings are checked and the detector is open, so that an error stays one line.
            err.println("extract: videos in " + root + ", " + total + " to do; crops into " + out);
            return ProgressBar.start(err, terminal, "extract", total, ProgressBar.Unit.of("videos"));
        });
        if (json) {
            stdout.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(s));
            stdout.flush();
        } else {
            print(stdout, s);
        }
        return s.errors() > 0 ? Main.EXIT_SOME_ITEMS_FAILED : 0;
    }

    static void print(PrintWriter out, ExtractReport s) {
        out.printf("videos: %d (%d done before, %d now): %d with faces, %d without, %d errors%s%n", s.videos(), s.doneBefore(), s.doneNow(),
                s.withFaces(), s.withoutFaces(), s.errors(), s.errors() > 0 ? " (see errors.csv)" : "");
        for (var e : s.splits().entrySet()) {
            var c = e.getValue();
            out.printf("%-5s: %d real + %d fake videos, %d real + %d fake crops%n", e.getKey(), c.realVideos(), c.fakeVideos(), c.realCrops(),
                    c.fakeCrops());
        }
        for (String p : s.datalists()) {
            out.println("datalist: " + p);
        }
        if (s.framesDetected() > 0) {
            out.printf("time: %.1f s; per video %.2f s decoding; face detection %.1f ms/frame%n", s.seconds(),
                    s.decodeSeconds() / Math.max(1, s.doneNow()), 1000 * s.faceDetectionSeconds() / s.framesDetected());
        }
        out.flush();
    }
}
