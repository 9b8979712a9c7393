package dev.unmask.api;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.detector.DetectorManifest;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.crop.GenDTemplate;
import dev.unmask.media.detect.AdaptiveSampling;
import dev.unmask.media.detect.CropRecipe;
import dev.unmask.media.detect.DetectJournal;
import dev.unmask.media.detect.DetectSettings;
import dev.unmask.media.detect.DetectionRun;
import dev.unmask.media.detect.Verdict;
import dev.unmask.media.face.FaceDetectorKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * A trained detector, loaded once, that checks images and videos: faces found and cropped as its
 * training data declares, scored, and the file judged against its stored threshold.
 *
 * <pre>{@code
 * try (Detector detector = Detector.load(Path.of("detector.unmask"))) {
 *     FileCheck check = detector.check(Path.of("clip.mp4"));
 *     System.out.println(check.verdict() + " " + check.score());
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One loaded detector may be shared: any number of threads may call
 * {@link #check} and {@link #checkAll} at once, and get the verdicts and scores a sequential run
 * gives. Each call decodes on a thread of its own and borrows a face pipeline from a pool, so
 * concurrent calls share only the model's weights, which inference reads and never writes. The
 * engine records gradients for one thread at a time in a process (gradient explanations and
 * training steps): those parts wait for each other inside the library; callers need no lock.
 */
public final class Detector implements AutoCloseable {
    private static final ObjectMapper JSON = StrictJson.mapper();

    private final Path file;
    private final NDManager manager;
    private final dev.unmask.core.detector.Detector model;
    private final CropRecipe recipe;
    private final DetectorInfo info;
    /** Scores files that are face crops already; null unless loaded for them. */
    private final boolean preCropped;
    /** Idle face pipelines by configuration: opening one loads a face-detection network, so they are reused across calls. */
    private final Map<PipelineConfig, Deque<FacePipeline>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private Detector(Path file, NDManager manager, dev.unmask.core.detector.Detector model, CropRecipe recipe, DetectorInfo info, boolean preCropped) {
        this.preCropped = preCropped;
        this.file = file;
        this.manager = manager;
        this.model = model;
        this.recipe = recipe;
        this.info = info;
    }

    /**
     * Loads a detector file written by {@code unmask train} (or the demo); its backbone from where it
     * was trained. {@code file} may also be a GenD detector folder, whose faces are cut by GenD's
     * alignment ({@link GenDTemplate}) unless {@link LoadOptions#preCropped()}.
     */
    public static Detector load(Path file) {
        return load(file, LoadOptions.DEFAULTS);
    }

    /**
     * Loads the detector {@code detector} names: a detector file, a GenD detector folder, or a
     * published detector pulled before by its registry name (e.g. {@code gend_clip_l14}) or Hub repo
     * ({@code OWNER/REPO[@REVISION]}), found in the model cache without any network request.
     */
    public static Detector load(String detector, LoadOptions options) {
        return load(Models.resolveDetector(detector), options);
    }

    /**
     * Loads a detector file. Refuses, with a {@link UserError}, a detector whose crops this
     * machine cannot reproduce, unless {@link LoadOptions#assumeCrop()}.
     */
    public static Detector load(Path file, LoadOptions options) {
        Unmask.configureEngine();
        NDManager manager = NDManager.newBaseManager();
        dev.unmask.core.detector.Detector model = null;
        FacePipeline checked = null;
        PipelineConfig checkedConfig = null;
        try {
            boolean gend = dev.unmask.core.detector.Detector.isGenDFolder(file);
            model = gend ? dev.unmask.core.detector.Detector.loadGenD(file, genDCropContract(), manager)
                    : dev.unmask.core.detector.Detector.load(file, options.backbone(), manager);
            JsonNode m = model.manifest();
            CropRecipe recipe = null;
            Map<String, Object> contract;
            boolean declared;
            if (options.preCropped()) {
                // The faces were cropped elsewhere: what the detector declares is all there is to say.
                contract = JSON.convertValue(m.path("crop_contract"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
                if (contract == null) {
                    contract = Map.of();
                }
                contract = new java.util.LinkedHashMap<>(contract);
                contract.put("pre_cropped", "faces given as crops: no face detection, the detector's resize and normalisation only");
                declared = m.path("crop_contract").path("declared").asBoolean(false);
            } else {
                recipe = CropRecipe.of(m, file, options.assumeCrop() ? CropRecipe.assumed(FaceDetectorKind.BLAZEFACE) : null);
                checkedConfig = recipe.apply(PipelineConfig.DEFAULT);
                checked = FacePipeline.open(recipe.faceDetector(), checkedConfig);
                recipe.requireReproducedBy(checked.contract(), file);
                contract = checked.contract().toMap();
                if (m.path("crop_contract").has(LANDMARKS)) {
                    contract.put(LANDMARKS, m.path("crop_contract").path(LANDMARKS).asText());
                }
                declared = recipe.declared();
            }
            DetectorManifest spec = model.spec();
            JsonNode eer = spec.validation() == null ? null : spec.validation().get("eer");
            DetectorInfo info = new DetectorInfo(file.toAbsolutePath().toString(), spec.approach(), spec.head().features(), model.threshold(),
                    spec.backbone().name(), spec.backbone().sha256(), contract, declared,
                    eer != null && eer.isNumber() && Double.isFinite(eer.asDouble()) ? eer.asDouble() : null,
                    // Only what Unmask worked out from a GenD folder on load; a detector file's manifest cannot claim a source.
                    gend ? JSON.convertValue(m.path("provenance").path("source"),
                            new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}) : null);
            Detector d = new Detector(file, manager, model, recipe, info, options.preCropped());
            if (checked != null) {
                // The pipeline that checked the crop contract serves the first check (opening one loads a network).
                d.idle.computeIfAbsent(checkedConfig, c -> new ConcurrentLinkedDeque<>()).add(checked);
            }
            return d;
        } catch (RuntimeException e) {
            if (checked != null) {
                checked.close();
            }
            if (model != null) {
                model.close();
            }
            manager.close();
            throw e;
        }
    }

    /** Where the crop contract of a GenD folder says its landmarks come from. */
    static final String LANDMARKS = "landmarks";

    /**
     * The crop contract of a GenD detector folder: GenD's aligned faces ({@link GenDTemplate}),
     * placed by BlazeFace's keypoints rather than the RetinaFace landmarks GenD was trained with.
     */
    static Map<String, Object> genDCropContract() {
        Map<String, Object> c = GenDTemplate.contract().toMap();
        c.put(LANDMARKS, "BlazeFace full-range: right eye and left eye onto GenD's template's eyes;"
                + " GenD's own faces were aligned on RetinaFace's five landmarks");
        return c;
    }

    /** What this detector is, as its reports name it. */
    public DetectorInfo info() {
        return info;
    }

    /** The score at or above which a file is judged fake. */
    public double threshold() {
        return model.threshold();
    }

    /** The detector as the core library sees it (its backbone, head, preprocessing and manifest), for scoring tensors directly. */
    public dev.unmask.core.detector.Detector model() {
        return model;
    }

    /** Checks one image or video with the default options. */
    public FileCheck check(Path media) {
        return check(media, CheckOptions.defaults());
    }

    /**
     * Checks one image or video. A file that cannot be read is not an exception: its report has
     * the verdict {@code error} and the reason. Nothing is kept in {@code options.out()} but the
     * explanations, when asked for.
     */
    public FileCheck check(Path media, CheckOptions options) {
        return run(List.of(media), options, null, BatchListener.NONE).files().get(0);
    }

    /**
     * Checks many files, in order, and tells {@code listener} as each is done. With
     * {@code options.out()}, each file's report is kept there as it is done ({@code reports.jsonl},
     * forced to disk), so that a run stopped at any point can be resumed
     * ({@link CheckOptions.Resume}), and {@code report.json} is written (atomically) at the end.
     */
    public BatchReport checkAll(List<Path> files, CheckOptions options, BatchListener listener) {
        if (options.out() != null) {
            if (Files.exists(options.out()) && !Files.isDirectory(options.out())) {
                throw new UserError(options.out() + " is a file; --out names a folder");
            }
            DetectJournal.refuseEarlierRun(options.out(), options.resume() != CheckOptions.Resume.NO);
        }
        BatchReport report = run(files, options, options.out(), listener);
        if (options.out() != null) {
            writeJson(options.out().resolve(DetectJournal.REPORT), report);
        }
        return report;
    }

    private BatchReport run(List<Path> files, CheckOptions options, Path keepIn, BatchListener listener) {
        if (closed) {
            throw new IllegalStateException("detector closed");
        }
        if (preCropped) {
            CropScoring crops = new CropScoring(model, options.explainMethod());
            CheckSettings used = new CheckSettings(1, "pre-cropped", options.batch(), "the crop's fake probability", null, null,
                    options.explain() ? options.explainTop() : null,
                    options.explain() ? crops.method().id() : null, options.explain() ? crops.method().description() : null);
            return journaled(files, options, keepIn, listener, used, (wanted, done) -> {
                for (int i = 0; i < files.size(); i++) {
                    if (wanted.test(i)) {
                        done.accept(i, crops.check(files.get(i), i, options));
                    }
                }
            });
        }
        PipelineConfig config = recipe.apply(PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(options.frames()))
                .withSelection(options.faces()));
        AdaptiveSampling adaptive = options.autoFrames()
                ? new AdaptiveSampling(options.frames(), AdaptiveSampling.DEFAULT.z(), AdaptiveSampling.DEFAULT.minSpread()) : null;
        DetectSettings settings = new DetectSettings(options.batch(), options.explain(), options.explainTop(), options.explainMethod(), options.out(), 64,
                dev.unmask.media.face.FaceEvidence.DEFAULT, adaptive);
        FacePipeline pipeline = borrow(config);
        try {
            DetectionRun run = new DetectionRun(model, pipeline, settings);
            CheckSettings used = new CheckSettings(config.sampler().frames(), config.selection().name().toLowerCase(Locale.ROOT), options.batch(),
                    DetectionRun.VIDEO_SCORE.rule(), settings.evidence().describe(), settings.evidence().minConfidence(), options.explain() ? options.explainTop() : null, options.explain() ? run.method().id() : null,
                    options.explain() ? run.method().description() : null, adaptive == null ? null : AdaptiveSampling.describe());
            return journaled(files, options, keepIn, listener, used,
                    (wanted, done) -> run.run(files, wanted, r -> done.accept(r.index(), FileCheck.of(r))));
        } finally {
            giveBack(config, pipeline);
        }
    }

    /** Checks the files {@code wanted} accepts (by batch position), handing each report to {@code done} in order. */
    private interface Work {
        void run(IntPredicate wanted, BiConsumer<Integer, FileCheck> done);
    }

    /**
     * Runs {@code work} over the files an earlier run in {@code keepIn} did not finish (all of them
     * without one), keeping each new report there as it is done; reports reach the listener in input order.
     */
    private BatchReport journaled(List<Path> files, CheckOptions options, Path keepIn, BatchListener listener, CheckSettings used, Work work) {
        long t0 = System.nanoTime();
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        List<FileCheck> done = new ArrayList<>();
        int doneBefore = 0;
        Consumer<FileCheck> emit = f -> {
            counts.merge(f.verdict(), 1, Integer::sum);
            done.add(f);
        };
        try (DetectJournal journal = keepIn == null ? null : DetectJournal.open(keepIn, identity(used), options.resume() != CheckOptions.Resume.NO)) {
            // What each file is now, taken once: the record made from it says so, and a resume compares with it.
            List<DetectJournal.Source> sources = files.stream().map(f -> journal == null ? null : DetectJournal.Source.of(f)).toList();
            FileCheck[] earlier = new FileCheck[files.size()];
            for (int i = 0; i < files.size(); i++) {
                ObjectNode kept = journal == null ? null : journal.finished(sources.get(i));
                earlier[i] = kept == null ? null : fromJson(kept);
                if (earlier[i] != null && options.resume() == CheckOptions.Resume.RETRY_ERRORS && earlier[i].verdict() == Verdict.ERROR) {
                    earlier[i] = null;
                }
                doneBefore += earlier[i] == null ? 0 : 1;
            }
            listener.started(files.size() - doneBefore, doneBefore);
            int[] next = {0};
            work.run(i -> earlier[i] == null, (index, check) -> {
                for (; next[0] < index; next[0]++) {
                    emit.accept(earlier[next[0]]);
                    listener.fileDone(earlier[next[0]], true);
                }
                if (journal != null) {
                    journal.append(sources.get(index), JSON.valueToTree(check));
                }
                emit.accept(check);
                listener.fileDone(check, false);
                next[0]++;
            });
            for (; next[0] < files.size(); next[0]++) {
                emit.accept(earlier[next[0]]);
                listener.fileDone(earlier[next[0]], true);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        BatchReport.Summary summary = new BatchReport.Summary(counts.getOrDefault(Verdict.FAKE, 0), counts.getOrDefault(Verdict.REAL, 0),
                counts.getOrDefault(Verdict.NO_FACE, 0), counts.getOrDefault(Verdict.ERROR, 0), seconds);
        return new BatchReport(Unmask.SCHEMA_VERSION, info, used, done, summary, doneBefore);
    }

    /** What a run's results depend on, which a resumed run must share: the detector's bytes, its crops, sampling and explanations. */
    private ObjectNode identity(CheckSettings used) {
        ObjectNode id = JSON.createObjectNode();
        if (Files.isDirectory(file)) {
            // A GenD folder: its weights (hashed on load) and the configs that shape what they compute.
            id.put("detector_sha256", info.backboneSha256());
            // The calibration sidecar too: a calibrated copy judges with another threshold.
            for (String f : new String[] {"config.json", "backbone/config.json", "backbone/" + ModelDirectory.PREPROCESSOR,
                    dev.unmask.core.detector.GenDSource.CALIBRATION}) {
                if (Files.isRegularFile(file.resolve(f))) {
                    id.put("detector_" + f + "_sha256", Hashing.sha256(file.resolve(f)));
                }
            }
        } else {
            id.put("detector_sha256", Hashing.sha256(file));
        }
        id.set("crop_contract", JSON.valueToTree(info.cropContract()));
        ObjectNode settings = JSON.valueToTree(used);
        // Batching changes how fast, not what.
        settings.remove("batch");
        id.set("settings", settings);
        return id;
    }

    private static FileCheck fromJson(ObjectNode kept) {
        try {
            if (!kept.has("schema_version")) {
                // Kept by a version before the schema was numbered: the same fields, version 1.
                kept = kept.deepCopy();
                kept.put("schema_version", 1);
            }
            return JSON.treeToValue(kept, FileCheck.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new UserError("a kept report cannot be read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    private FacePipeline borrow(PipelineConfig config) {
        FacePipeline p = idle.computeIfAbsent(config, c -> new ConcurrentLinkedDeque<>()).pollFirst();
        return p != null ? p : FacePipeline.open(recipe.faceDetector(), config);
    }

    private void giveBack(PipelineConfig config, FacePipeline p) {
        if (closed) {
            p.close();
        } else {
            idle.get(config).addFirst(p);
        }
    }

    /** Writes {@code value}'s JSON to {@code file} atomically (a temp file renamed), so no reader sees half of it. */
    static void writeJson(Path file, Object value) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (IOException e) {
            throw new UserError(file + ": cannot write the report (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /** Frees the model and the pooled face pipelines; checks still running finish first on their own pipelines. */
    @Override
    public void close() {
        closed = true;
        idle.values().forEach(d -> {
            for (FacePipeline p; (p = d.pollFirst()) != null; ) {
                p.close();
            }
        });
        model.close();
        manager.close();
    }
}
