package dev.unmask.cli;

import dev.unmask.core.io.FileTrees;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.api.BatchListener;
import dev.unmask.api.BatchReport;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.explain.HeatMap;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.progress.ProgressBar;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.Progress;
import dev.unmask.core.train.TrainSettings;
import dev.unmask.core.train.TrainingRun;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTConfigs;
import dev.unmask.media.Crop;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.crop.FaceCropper;
import dev.unmask.media.crop.ResizeKernel;
import dev.unmask.media.demo.SyntheticFakes;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.FaceDetectorKind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unmask demo}: the main job, end to end, on a fresh machine with nothing downloaded but
 * public-domain photos: synthetic sample data, a small detector trained with Approach 2, and
 * {@code detect --explain} on sample videos. Everything goes under {@code --out}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the whole job on built-in sample data: make synthetic fakes from public-domain photos (Debian python3-skimage,"
                + " fetched by bin/setup-test-data) and sample videos (with ffmpeg, if installed), train a small detector (Approach 2:"
                + " last blocks fine-tuned), and run detect --explain on the samples.",
            "Without --backbone the ViT has random initial weights (nothing pretrained can be downloaded offline): the detector learns"
                    + " the demo's synthetic artefacts, not real deepfakes. Real use needs a real backbone (unmask pull) and real training data.",
            "Exit status: 0 every sample judged, 3 some samples are 'error' (as detect's), 2 usage error.", ""})
final class DemoCommand implements Callable<Integer> {
    static final Path DEFAULT_OUT = Path.of("unmask-demo");
    static final String MARKER = ".unmask-demo";
    static final String BUILTIN_BACKBONE = "demo_vit_tiny_reg4_random";
    /** Side of the demo's square frames, in pixels: faces fill 20–32% of it, as in a phone video. */
    static final int FRAME_SIDE = 384;
    static final List<String> OWN_ENTRIES = List.of("data", "samples", "backbone", "cache", "detect", "detector.unmask",
            "detector.unmask.train", "demo.json");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for everything the demo makes. Default: ./unmask-demo.")
    Path out;

    @Option(names = "--backbone", paramLabel = "DIR|NAME",
            description = "A real backbone (e.g. dinov2_vits14 after unmask pull) instead of the built-in randomly initialised small ViT;"
                    + " trains at 224 px with the paper's settings (slower).")
    String backbone;

    @Option(names = "--train-frames", defaultValue = "200", paramLabel = "N", description = "Real frames made for training; as many fakes."
            + " Default: ${DEFAULT-VALUE}.")
    int trainFrames;

    @Option(names = "--epochs", defaultValue = "6", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--frames", defaultValue = "32", paramLabel = "N", description = "Frames sampled per sample video by detect. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the sample data and training. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** A sample judged at the end, and where its manipulation is (fake videos only). */
    private record Sample(Path file, boolean fake, SyntheticFakes.Source source, List<SyntheticFakes.Pose> poses) {}

    @Override
    public Integer call() throws IOException {
        if (trainFrames < 8 || trainFrames > 100_000) {
            throw new UserError("--train-frames must be between 8 and 100000");
        }
        if (epochs < 1 || epochs > 1000) {
            throw new UserError("--epochs must be between 1 and 1000");
        }
        Path dir = (out != null ? out : DEFAULT_OUT).toAbsolutePath().normalize();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        Path photos = BuiltinModels.home().resolve("test-data").resolve("skimage");
        for (String name : new String[] {"astronaut.png", "camera.png", "coffee.png"}) {
            if (!Files.isRegularFile(photos.resolve(name))) {
                throw new UserError("the demo's sample photos are missing (" + photos.resolve(name) + "); fetch them with bin/setup-test-data"
                        + " (Debian's public-domain python3-skimage photos)");
            }
        }
        Path backboneDir = backbone != null ? ModelArgument.resolve(backbone) : null;
        prepare(dir);
        long t0 = System.nanoTime();
        boolean ffmpeg = onPath("ffmpeg");

        // A real backbone is trained at its usual size; the built-in one is small, so its input is too.
        int size = backboneDir != null ? 224 : 112;
        PipelineConfig crops = PipelineConfig.DEFAULT.withCrop(1.3, size, ResizeKernel.AREA);
        List<Sample> samples = new ArrayList<>();
        ObjectNode contract;
        Path data = dir.resolve("data");
        err.println("demo: making sample data from " + photos + " (public domain)");
        try (FacePipeline pipeline = FacePipeline.open(FaceDetectorKind.BLAZEFACE, crops)) {
            var detector = FaceDetectorKind.BLAZEFACE.open();
            List<SyntheticFakes.Source> sources;
            try (detector) {
                sources = List.of(SyntheticFakes.source("astronaut", photos.resolve("astronaut.png"), detector),
                        SyntheticFakes.source("camera", photos.resolve("camera.png"), detector));
            }
            SplittableRandom r = new SplittableRandom(seed);
            int made = writeCrops(pipeline, sources, data, "train", trainFrames, r);
            int madeVal = writeCrops(pipeline, sources, data, "val", Math.max(8, trainFrames / 4), r);
            err.printf(Locale.ROOT, "demo: %d training and %d validation face crops (half of them synthetic fakes) in %s%n", made, madeVal,
                    data.resolve("crops"));
            contract = StrictJson.mapper().valueToTree(pipeline.contract().toMap());
            contract.put("declared", true);
            AtomicFiles.writeString(data.resolve("crop_contract.json"), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(contract));
            samples.addAll(makeSamples(sources.get(0), dir.resolve("samples"), ffmpeg, photos.resolve("coffee.png")));
        }

        if (backboneDir == null) {
            backboneDir = builtinBackbone(dir.resolve("backbone").resolve(BUILTIN_BACKBONE));
            err.println("demo: backbone " + backboneDir + ": a small ViT (6 blocks, width 192, 4 registers) with random initial weights,"
                    + " since no pretrained weights are available offline");
        }
        Path detectorFile = dir.resolve("detector.unmask");
        TrainSettings settings = trainSettings(backbone != null, size);
        err.printf(Locale.ROOT, "demo: training (Approach 2: last %d blocks, final norm and a linear head; %d epochs)%n", settings.blocks(),
                settings.epochs());
        TrainingRun.Result trained = TrainingRun.run(settings, new TrainingRun.Inputs(backboneDir, Datalist.read(data.resolve("train.csv"), data),
                Datalist.read(data.resolve("val.csv"), data), detectorFile, dir.resolve("cache"), contract, "unmask demo"), false,
                Progress.console(err, System.console() != null));
        err.printf(Locale.ROOT, "demo: detector %s (validation AUC %.3f, EER %.3f, threshold %.3f)%n", detectorFile, trained.validation().auc(),
                trained.validation().eer(), trained.threshold());

        Path detectOut = dir.resolve("detect");
        CheckOptions options = CheckOptions.defaults().withFrames(frames).withOut(detectOut).withExplanations(3, null);
        o.println("unmask detect --explain on the samples:");
        BatchReport outcome;
        try (Detector detector = Detector.load(detectorFile)) {
            outcome = detector.checkAll(samples.stream().map(Sample::file).toList(), options, new BatchListener() {
                private ProgressBar bar;

                @Override
                public void started(int toDo, int doneBefore) {
                    bar = ProgressBar.start(err, System.console() != null, "detect", toDo, ProgressBar.Unit.of("files"));
                }

                @Override
                public void fileDone(FileCheck check, boolean earlier) {
                    bar.hide();
                    o.println("  " + DetectCommand.line(check));
                    o.flush();
                    bar.advance(null);
                }
            });
        }
        List<FileCheck> reports = outcome.files();

        ObjectNode summary = StrictJson.mapper().createObjectNode();
        o.println();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            FileCheck rep = reports.get(i);
            if (s.fake() && s.poses() != null && rep.explanation() != null && !rep.explanation().overlays().isEmpty()) {
                double[] h = heatInSwappedRegion(rep, s, new FaceCropper(crops.margin(), size, crops.kernel()), size);
                o.printf(Locale.ROOT, "Explanations of %s: %.0f%% of the overlays' heat lies on the swapped region, which covers %.0f%% of"
                        + " the faces shown (the share a uniform map would give it).%n", s.file().getFileName(), 100 * h[0], 100 * h[1]);
                summary.put("heat_in_swapped_region", h[0]);
                summary.put("swapped_region_share", h[1]);
            }
        }
        o.println("Report:     " + detectOut.resolve("report.json"));
        o.println("Overlays:   " + detectOut + "/*/overlay_*.png, contact sheets: " + detectOut + "/*/contact_sheet.png");
        o.println("Detector:   " + detectorFile + "  (reuse it: bin/unmask detect VIDEO --detector " + detectorFile + " --explain)");
        if (!ffmpeg) {
            o.println("Note: ffmpeg is not installed, so the demo judged still images only (apt-get install ffmpeg for the video part).");
        }
        o.println("Note: " + (backbone == null
                ? "this detector starts from random weights and learned the demo's synthetic artefacts from two photos; it shows the tool"
                + " working end to end and will not recognise real deepfakes. For real use: a published detector (bin/unmask pull"
                + " gend_clip_l14, then unmask detect VIDEO --detector gend_clip_l14 --explain), or your own (bin/unmask pull dinov2_vits14,"
                + " unmask extract on a real dataset, then unmask train)."
                : "trained on the demo's synthetic fakes of two photos; for real use train on real deepfake data (unmask extract, unmask train)."));
        summary.put("detector", detectorFile.toString());
        summary.put("report", detectOut.resolve("report.json").toString());
        summary.put("backbone", backboneDir.toString());
        summary.put("random_backbone", backbone == null);
        summary.put("videos", ffmpeg);
        summary.put("validation_auc", trained.validation().auc());
        summary.put("seconds", (System.nanoTime() - t0) / 1e9);
        AtomicFiles.writeString(dir.resolve("demo.json"), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        o.printf(Locale.ROOT, "Done in %.0f s.%n", (System.nanoTime() - t0) / 1e9);
        o.flush();
        return outcome.summary().error() > 0 ? DetectCommand.EXIT_SOME_FILES_FAILED : 0;
    }

    /**
     * An output folder the demo may fill: new, empty, or made by an earlier demo (whose own
     * entries are removed, so that runs do not mix). Anything else is refused, never cleared.
     */
    static void prepare(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserError(dir + " is a file; --out names a folder");
        }
        if (Files.isDirectory(dir)) {
            boolean empty;
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !Files.exists(dir.resolve(MARKER))) {
                throw new UserError(dir + " holds files the demo did not make; choose another --out (or an empty folder)");
            }
            for (String name : OWN_ENTRIES) {
                FileTrees.delete(dir.resolve(name));
            }
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "made by unmask demo; it clears its own entries here when run again\n");
    }

    /** Pairs of a real frame and its fake (same pose), cropped as detect will crop; returns the crops written. */
    static int writeCrops(FacePipeline pipeline, List<SyntheticFakes.Source> sources, Path data, String split, int pairs, SplittableRandom r)
            throws IOException {
        StringBuilder list = new StringBuilder("path,label,video\n");
        int written = 0;
        for (int i = 0; i < pairs; i++) {
            SyntheticFakes.Source s = sources.get(i % sources.size());
            SyntheticFakes.Pose pose = SyntheticFakes.randomPose(r);
            int quality = 60 + r.nextInt(36);
            for (boolean fake : new boolean[] {false, true}) {
                SyntheticFakes.Frame f = SyntheticFakes.frame(s, pose, FRAME_SIDE, fake, quality);
                List<Crop> crops = pipeline.crops(f.picture());
                if (crops.isEmpty()) {
                    continue;
                }
                String rel = "crops/" + split + "/" + (fake ? "fake" : "real") + "/" + s.name() + "_" + i + ".png";
                Path file = data.resolve(rel);
                Files.createDirectories(file.getParent());
                crops.get(0).pixels().writePng(file);
                // A fake made from a real frame is a video of its own, as datasets name them (see VideoKeys).
                list.append(rel).append(',').append(fake ? 1 : 0).append(',').append(split).append('_').append(s.name()).append('_').append(i)
                        .append(fake ? "_fake" : "").append('\n');
                written++;
            }
        }
        AtomicFiles.writeString(data.resolve(split + ".csv"), list.toString());
        return written;
    }

    private List<Sample> makeSamples(SyntheticFakes.Source s, Path dir, boolean ffmpeg, Path noFacePhoto) throws IOException {
        Files.createDirectories(dir);
        List<Sample> samples = new ArrayList<>();
        List<SyntheticFakes.Pose> path = cameraPath(50);
        for (boolean fake : new boolean[] {true, false}) {
            String name = s.name() + (fake ? "_fake" : "_real");
            if (ffmpeg) {
                Path video = dir.resolve(name + ".mp4");
                encode(s, path, fake, video);
                samples.add(new Sample(video, fake, s, path));
            } else {
                Path still = dir.resolve(name + ".png");
                SyntheticFakes.frame(s, path.get(0), FRAME_SIDE, fake, 0).picture().writePng(still);
                samples.add(new Sample(still, fake, s, List.of(path.get(0))));
            }
        }
        Path noFace = dir.resolve("no_face.png");
        Files.copy(noFacePhoto, noFace, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        samples.add(new Sample(noFace, false, null, null));
        return samples;
    }

    /** A slow zoom and pan, as a hand-held phone gives: one pose per frame. */
    static List<SyntheticFakes.Pose> cameraPath(int n) {
        List<SyntheticFakes.Pose> poses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double t = (double) i / (n - 1);
            poses.add(new SyntheticFakes.Pose(0.22 + 0.08 * t, -0.06 + 0.12 * t, 0.04 * Math.sin(2 * Math.PI * t), false));
        }
        return poses;
    }

    /** H.264 at 25 fps through Debian's ffmpeg; written beside the target and moved into place whole. */
    static void encode(SyntheticFakes.Source s, List<SyntheticFakes.Pose> poses, boolean fake, Path video) throws IOException {
        Path frames = Files.createTempDirectory(video.getParent(), ".frames-");
        try {
            for (int i = 0; i < poses.size(); i++) {
                SyntheticFakes.frame(s, poses.get(i), FRAME_SIDE, fake, 0).picture().writePng(frames.resolve(String.format(Locale.ROOT, "%03d.png", i)));
            }
            Path tmp = video.resolveSibling("." + video.getFileName() + ".tmp.mp4");
            Process p = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-framerate", "25", "-i",
                    frames.resolve("%03d.png").toString(), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                    tmp.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new UserError("ffmpeg could not make the sample video " + video);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted while making " + video);
            }
            AtomicFiles.moveIntoPlace(tmp, video);
        } finally {
            FileTrees.delete(frames);
        }
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** The built-in backbone: a DINOv2-style ViT with registers, small enough to fine-tune in seconds, with seeded random weights. */
    static Path builtinBackbone(Path dir) throws IOException {
        Files.createDirectories(dir);
        String config = """
                {
                  "architecture": "dinov2_vits14_reg",
                  "num_classes": 0,
                  "model_args": {"img_size": 112, "patch_size": 14, "embed_dim": 192, "depth": 6, "num_heads": 3, "mlp_ratio": 4,
                                 "num_register_tokens": 4},
                  "pretrained_cfg": {"input_size": [3, 112, 112], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
                  "unmask_note": "seeded random initial weights (unmask demo); not pretrained"
                }
                """;
        AtomicFiles.writeString(dir.resolve("config.json"), config);
        ViTConfig cfg = ViTConfigs.parse(StrictJson.parse(config, "built-in config"), "built-in config").config();
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), RandomWeights.asTensors(cfg, RandomWeights.vit(cfg, 2024)),
                Map.of("format", "pt", "unmask", "random-demo"));
        ModelDirectory.open(dir);
        return dir;
    }

    TrainSettings trainSettings(boolean realBackbone, int size) {
        FeatureVariant v = FeatureVariant.parse("cls_last");
        if (realBackbone) {
            // The paper's Approach 2 settings, fewer epochs.
            return new TrainSettings(Approach.FINETUNE, v, HeadSpec.Kind.LINEAR, 0, 0f, 1, true, true, size, epochs, 32, 1e-4, 0.04, 0, seed);
        }
        // From random weights the fine-tuned blocks must learn more, in a few epochs: a larger step.
        return new TrainSettings(Approach.FINETUNE, v, HeadSpec.Kind.LINEAR, 0, 0f, 2, true, true, size, epochs, 16, 1e-3, 0.04, 0, seed);
    }

    /**
     * Ground truth for the overlays of a fake sample: the share of each overlay's heat that falls
     * on the swapped ellipse (the demo knows where it put it in every frame), and the share of
     * the face crop the ellipse covers (what a map spread evenly would put there), both averaged
     * over the overlays.
     */
    static double[] heatInSwappedRegion(FileCheck rep, Sample s, FaceCropper cropper, int size) {
        double heat = 0;
        double area = 0;
        int n = 0;
        for (FileCheck.Overlay ov : rep.explanation().overlays()) {
            if (ov.frame() >= s.poses().size()) {
                continue;
            }
            FileCheck.Box b = rep.frameScores().stream().filter(f -> f.frame() == ov.frame() && f.track() == ov.track()).findFirst().orElseThrow().box();
            Box face = new Box(b.x(), b.y(), b.width(), b.height());
            Box crop = cropper.region(face);
            SyntheticFakes.Ellipse swapped = SyntheticFakes.swappedRegion(s.source(), s.poses().get(ov.frame()), FRAME_SIDE);
            double inside = 0;
            double total = 0;
            int pixelsInside = 0;
            HeatMap map = ov.heatMap();
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double v = map.at(x * map.width() / size, y * map.height() / size);
                    total += v;
                    if (swapped.contains(crop.x() + (x + 0.5) * crop.width() / size, crop.y() + (y + 0.5) * crop.height() / size)) {
                        inside += v;
                        pixelsInside++;
                    }
                }
            }
            if (total > 0) {
                heat += inside / total;
                area += (double) pixelsInside / (size * size);
                n++;
            }
        }
        return n == 0 ? new double[] {Double.NaN, Double.NaN} : new double[] {heat / n, area / n};
    }
}
