package dev.unmask.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.detector.BackboneRef;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.media.Crop;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.MediaFaces;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.detect.CropRecipe;
import dev.unmask.media.detect.DetectSettings;
import dev.unmask.media.detect.DetectionRun;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.video.VideoSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code unmask bench detect}: where the time of {@code detect} goes on one video — decoding
 * and sampling, face detection, the model's own forward passes over the faces — and the
 * end-to-end time of the decode → model pipeline, whose target is at most 1.3× the model's time.
 */
final class DetectBenchmark {
    static final String CLIP = "astronaut-720p-10s.mp4";
    static final String DETECTOR = "vits14-random-probe.unmask";

    private DetectBenchmark() {}

    /** Median seconds of each stage over the repeats. */
    record Result(int frames, int faces, double decode, double facesPerFrame, double model, double endToEnd, double sequential) {}

    static Result run(Path video, Path detectorFile, int frames, int repeats, int batch) {
        double[] decode = new double[repeats];
        double[] faces = new double[repeats];
        double[] model = new double[repeats];
        double[] e2e = new double[repeats];
        int sampled = 0;
        int found = 0;
        try (NDManager manager = NDManager.newBaseManager(); Detector d = Detector.load(detectorFile, null, manager)) {
            CropRecipe recipe = CropRecipe.of(d.manifest(), detectorFile, CropRecipe.assumed(FaceDetectorKind.BLAZEFACE));
            PipelineConfig config = recipe.apply(PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(frames)));
            try (FacePipeline pipeline = FacePipeline.open(recipe.faceDetector(), config)) {
                recipe.requireReproducedBy(pipeline.contract(), detectorFile);
                DetectionRun detect = new DetectionRun(d, pipeline, new DetectSettings(batch, false, 1, null, null, 64));
                // One untimed round: native libraries load, caches warm.
                pipeline.process(video);
                for (int r = 0; r < repeats; r++) {
                    decode[r] = new VideoSampler(config.sampler()).sample(video, (number, seconds, frame) -> { }).seconds();
                    MediaFaces m = pipeline.process(video);
                    sampled = m.framesSampled();
                    found = m.crops().size();
                    faces[r] = m.detectSeconds() / Math.max(1, m.framesSampled());
                    model[r] = forward(d, m.crops(), batch, manager);
                    long t0 = System.nanoTime();
                    detect.run(List.of(video), rep -> {
                        if (rep.error() != null) {
                            throw new UserError(video + ": " + rep.error());
                        }
                    });
                    e2e[r] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        double dec = median(decode);
        double fpf = median(faces);
        double mod = median(model);
        return new Result(sampled, found, dec, fpf, mod, median(e2e), dec + fpf * sampled + mod);
    }

    /** The model alone: preprocessed crops in, scores out, in batches as detect runs them. */
    private static double forward(Detector d, List<Crop> crops, int batch, NDManager manager) {
        Preprocessing pre = d.preprocessing();
        List<float[]> inputs = new ArrayList<>();
        for (Crop c : crops) {
            inputs.add(DetectionRun.modelInput(c.pixels(), pre));
        }
        long t0 = System.nanoTime();
        for (int start = 0; start < inputs.size(); start += batch) {
            int n = Math.min(batch, inputs.size() - start);
            float[] flat = new float[n * pre.valuesPerImage()];
            for (int i = 0; i < n; i++) {
                System.arraycopy(inputs.get(start + i), 0, flat, i * pre.valuesPerImage(), pre.valuesPerImage());
            }
            try (NDManager scope = manager.newSubManager()) {
                d.score(scope.create(flat, new Shape(n, 3, pre.size(), pre.size())));
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** 10 s of the astronaut photo slowly zooming, 1280×720 at 25 fps, H.264 — made once with ffmpeg. */
    static Path defaultClip() {
        Path photo = BuiltinModels.home().resolve("test-data").resolve("skimage").resolve("astronaut.png");
        if (!Files.isRegularFile(photo)) {
            throw new UserError("the benchmark clip is made from " + photo + "; fetch it with bin/setup-test-data, or pass --video");
        }
        Path clip = BuiltinModels.home().resolve("bench").resolve(CLIP);
        if (Files.isRegularFile(clip)) {
            return clip;
        }
        if (!DemoCommand.onPath("ffmpeg")) {
            throw new UserError("making the benchmark clip needs ffmpeg (apt-get install ffmpeg), or pass --video");
        }
        try {
            Files.createDirectories(clip.getParent());
            Path tmp = clip.resolveSibling("." + CLIP + ".tmp.mp4");
            Process p = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "25",
                    "-t", "10", "-i", photo.toString(), "-vf",
                    "scale=1400:1400,crop=1280:720:'40+60*t/10':'20+60*t/10',format=yuv420p", "-c:v", "libx264", "-preset", "medium",
                    "-crf", "23", "-g", "50", tmp.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new UserError("ffmpeg could not make the benchmark clip " + clip);
            }
            dev.unmask.core.io.AtomicFiles.moveIntoPlace(tmp, clip);
            return clip;
        } catch (IOException e) {
            throw new UserError(clip + ": cannot write (" + StrictJson.oneLine(e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
    }

    /**
     * A detector of the paper's most used size: the built-in ViT-S/14 (random weights) with a
     * linear probe on the final CLS — what a real ViT-S/14 detector costs, whatever it says.
     */
    static Path defaultDetector() {
        Path file = BuiltinModels.home().resolve("bench").resolve(DETECTOR);
        if (Files.isRegularFile(file)) {
            return file;
        }
        Path backbone = BuiltinModels.demoBackbone();
        ViTConfig cfg = ModelDirectory.open(backbone).vitSpec().config();
        BackboneRef ref = BackboneRef.of(backbone);
        HeadSpec spec = new HeadSpec(FeatureVariant.parse("cls_last"), HeadSpec.Kind.LINEAR, 1, 1, cfg.embedDim(), 0, 0f);
        ObjectNode m = StrictJson.mapper().createObjectNode();
        m.put("format", Detector.FORMAT);
        m.put("version", Detector.VERSION);
        m.put("approach", "probe");
        m.set("head", Detector.headJson(spec));
        ObjectNode bb = m.putObject("backbone");
        bb.put("name", ref.name());
        bb.put("path", ref.dir().toString());
        bb.put("sha256", ref.sha256());
        bb.putArray("changed_tensors");
        m.set("preprocessing", Detector.preprocessingJson(Preprocessing.forBackbone(cfg.patchSize(), cfg.mean(), cfg.std(), 224)));
        m.put("threshold", 0.5);
        m.put("note", "unmask bench: random backbone and head, for timing only");
        try (NDManager manager = NDManager.newBaseManager(); Head head = Head.initialise(spec, 1, manager)) {
            Files.createDirectories(file.getParent());
            Detector.write(file, m, head, Map.of());
            return file;
        } catch (IOException e) {
            throw new UserError(file + ": cannot write (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }
}
