package dev.unmask.media.detect;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.core.explain.Explainer;
import dev.unmask.core.explain.HeatMap;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.VideoAggregation;
import dev.unmask.media.Crop;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.dataset.MediaFilesUnder;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.FaceEvidence;
import dev.unmask.media.render.ContactSheet;
import dev.unmask.media.render.HeatOverlay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * Files → verdicts, as a two-stage pipeline: a decoding thread samples frames, finds and crops
 * faces and turns crops into model inputs, and hands them over a bounded queue to the calling
 * thread, which runs the model on batches of crops (across files) and finishes files in input
 * order. The model works on one file's frames while the next ones are being decoded; the bound
 * keeps memory flat when decoding is faster than the model.
 *
 * <p>A file that cannot be read, or for which the model gives a non-finite score, gets an
 * {@link Verdict#ERROR} with its reason, and the batch goes on. The face pipeline is used by the
 * decoding thread only; the detector by the calling thread only.
 */
public final class DetectionRun {
    /** A contact sheet shows at most this many frames (every k-th when more are sampled), so memory stays bounded. */
    static final int MAX_SHEET_TILES = 64;

    /** How a file's frame scores make its score: as eval and metrics make a video's, by default. */
    public static final VideoAggregation VIDEO_SCORE = VideoAggregation.MEAN;

    private final Detector detector;
    private final FacePipeline pipeline;
    private final DetectSettings settings;
    private final ExplanationMethod method;
    private final Preprocessing pre;
    private final int sheetStride;

    public DetectionRun(Detector detector, FacePipeline pipeline, DetectSettings settings) {
        this.detector = detector;
        this.pipeline = pipeline;
        this.settings = settings;
        this.method = Explainer.methodFor(detector, settings.method());
        this.pre = detector.preprocessing();
        this.sheetStride = (pipeline.config().sampler().frames() + MAX_SHEET_TILES - 1) / MAX_SHEET_TILES;
    }

    public ExplanationMethod method() {
        return method;
    }

    /** Runs every file; {@code onFile} is called on this thread, in input order, as each file is done. */
    public void run(List<Path> files, Consumer<FileReport> onFile) {
        run(files, i -> true, onFile);
    }

    /**
     * Runs the files whose batch positions {@code wanted} accepts (a resumed batch leaves out the
     * finished ones); each report keeps its file's position in {@code files}, and so do overlay
     * folders, so a file's outputs do not depend on which others were run with it.
     */
    public void run(List<Path> files, IntPredicate wanted, Consumer<FileReport> onFile) {
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            if (wanted.test(i)) {
                positions.add(i);
            }
        }
        BlockingQueue<Event> queue = new ArrayBlockingQueue<>(settings.queueFrames());
        Producer producer = new Producer(files, positions, queue);
        Thread thread = new Thread(producer, "unmask-detect-decode");
        thread.setDaemon(true);
        thread.start();
        try {
            new ModelStage(queue, onFile).run();
        } finally {
            producer.cancelled = true;
            thread.interrupt();
            try {
                // The pipeline's face detector is closed by the caller once run() returns: wait for its only user.
                thread.join(TimeUnit.MINUTES.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- events from the decoding thread ----

    private sealed interface Event permits FileStart, FrameEvent, StageEnd, FileEnd, Done, Failed {}

    /** {@code index} orders events (the file's place among those run), {@code batchIndex} is its place in the batch. */
    private record FileStart(int index, int batchIndex, Path path, long startNanos) implements Event {}

    private record CropInput(Crop crop, float[] input) {}

    /** @param thumbnail null unless a contact sheet is wanted */
    private record FrameEvent(int index, int frameNumber, double seconds, Picture thumbnail, double thumbScale, List<CropInput> crops)
            implements Event {}

    /**
     * A stage of adaptive sampling is decoded: the model stage scores what there is, applies the
     * stopping rule and completes {@code goOn}, for which the decoding thread waits.
     */
    private record StageEnd(int index, int sampled, int planned, int weak, java.util.concurrent.CompletableFuture<Boolean> goOn)
            implements Event {}

    private record FileEnd(int index, FacePipeline.FaceStream stream, String error, long nanos) implements Event {}

    private record Done() implements Event {}

    private record Failed(Throwable error) implements Event {}

    private final class Producer implements Runnable {
        final List<Path> files;
        final List<Integer> positions;
        final BlockingQueue<Event> queue;
        volatile boolean cancelled;

        Producer(List<Path> files, List<Integer> positions, BlockingQueue<Event> queue) {
            this.files = files;
            this.positions = positions;
            this.queue = queue;
        }

        @Override
        public void run() {
            try {
                for (int i = 0; i < positions.size() && !cancelled; i++) {
                    int index = i;
                    Path file = files.get(positions.get(i));
                    put(new FileStart(i, positions.get(i), file, System.nanoTime()));
                    FacePipeline.FaceStream stream = null;
                    String error = null;
                    int[] seen = {0};
                    try {
                        if (Files.isDirectory(file)) {
                            throw new UserError(folderError(file));
                        }
                        if (!Files.isRegularFile(file)) {
                            throw new UserError(file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
                        }
                        int[][] stages = settings.adaptive() == null ? null
                                : dev.unmask.media.video.FrameSchedule.stages(pipeline.config().sampler().frames());
                        FacePipeline.StageGate gate = (sampled, planned, weak) -> awaitDecision(new StageEnd(index, sampled, planned, weak,
                                new java.util.concurrent.CompletableFuture<>()));
                        stream = pipeline.process(file, settings.evidence().minConfidence(), (frame, crops) -> {
                            List<CropInput> inputs = new ArrayList<>(crops.size());
                            for (Crop c : crops) {
                                inputs.add(new CropInput(c, modelInput(c.pixels(), pre)));
                            }
                            boolean tile = settings.explain() && seen[0]++ % sheetStride == 0;
                            Picture thumb = tile ? ContactSheet.thumbnail(frame.picture(), frame.width(), frame.height()) : null;
                            put(new FrameEvent(index, frame.frameNumber(), frame.seconds(), thumb, ContactSheet.scale(frame.width()), inputs));
                        }, stages, gate);
                    } catch (UserError e) {
                        error = StrictJson.oneLine(e.getMessage());
                    } catch (Cancelled e) {
                        return;
                    } catch (RuntimeException e) {
                        // An unexpected failure on one file (a decoder bug, say) must not end the batch.
                        error = "cannot process this file (" + StrictJson.oneLine(String.valueOf(e)) + ")";
                    }
                    put(new FileEnd(i, stream, error, System.nanoTime()));
                }
                put(new Done());
            } catch (Cancelled e) {
                // The model stage has stopped; nobody is listening.
            } catch (Throwable t) {
                try {
                    put(new Failed(t));
                } catch (Cancelled c) {
                    // nobody is listening
                }
            }
        }

        /** Hands a finished stage to the model stage and waits for its decision, giving up when the run is cancelled. */
        boolean awaitDecision(StageEnd e) {
            put(e);
            while (true) {
                try {
                    return e.goOn().get(100, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException t) {
                    if (cancelled) {
                        throw new Cancelled();
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new Cancelled();
                } catch (java.util.concurrent.ExecutionException x) {
                    throw new IllegalStateException(x.getCause());
                }
            }
        }

        void put(Event e) {
            try {
                while (!queue.offer(e, 100, TimeUnit.MILLISECONDS)) {
                    if (cancelled) {
                        throw new Cancelled();
                    }
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new Cancelled();
            }
        }
    }

    private static final class Cancelled extends RuntimeException {
        Cancelled() {
            super(null, null, false, false);
        }
    }

    /**
     * A crop as the model needs it, made exactly as training read its PNG crops
     * ({@link Preprocessing#load}): 8-bit RGB, Java2D bicubic resize when the crop is not the
     * input size, then {@code (v/255 − mean)/std}.
     */
    public static float[] modelInput(Picture crop, Preprocessing pre) {
        int h = crop.height();
        int w = crop.width();
        int[][][] rgb = new int[3][h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rgb[0][y][x] = crop.red(x, y);
                rgb[1][y][x] = crop.green(x, y);
                rgb[2][y][x] = crop.blue(x, y);
            }
        }
        if (h != pre.size() || w != pre.size()) {
            rgb = ImageTensor.resize(rgb, pre.size());
        }
        return ImageTensor.normalize(rgb, pre.mean(), pre.std());
    }

    // ---- the model stage, on the calling thread ----

    /** A face crop waiting for, or having, its score; pixels and input are dropped unless it may be explained. */
    private static final class ScoredCrop {
        final FileState file;
        final int frame;
        final double seconds;
        final int track;
        final Box box;
        final double faceConfidence;
        Picture pixels;
        float[] input;
        double score = Double.NaN;

        ScoredCrop(FileState file, int frame, double seconds, CropInput c) {
            this.file = file;
            this.frame = frame;
            this.seconds = seconds;
            this.track = c.crop().track();
            this.box = c.crop().face().box();
            this.faceConfidence = c.crop().face().score();
            this.pixels = c.crop().pixels();
            this.input = c.input();
        }
    }

    private record FrameRecord(int frame, double seconds, Picture thumbnail, double scale, List<ScoredCrop> crops) {}

    private static final class FileState {
        final int index;
        final int batchIndex;
        final Path path;
        final long startNanos;
        final List<FrameRecord> frames = new ArrayList<>();
        final List<ScoredCrop> kept = new ArrayList<>();
        int unscored;
        boolean ended;
        long endNanos;
        long firstModelNanos;
        FacePipeline.FaceStream stream;
        String error;
        double modelSeconds;
        /** Tracks seen in enough frames to be judged; set when the file is finished. */
        Set<Integer> supported = Set.of();
        /** Adaptive sampling: stages decided, the frames the grid gives this video, and why it stopped (null while going on). */
        int stages;
        int planned;
        String stopped;

        FileState(int index, int batchIndex, Path path, long startNanos) {
            this.index = index;
            this.batchIndex = batchIndex;
            this.path = path;
            this.startNanos = startNanos;
        }
    }

    private final class ModelStage {
        final BlockingQueue<Event> queue;
        final Consumer<FileReport> onFile;
        final Map<Integer, FileState> open = new HashMap<>();
        final List<ScoredCrop> pending = new ArrayList<>();
        int nextToFinish;

        ModelStage(BlockingQueue<Event> queue, Consumer<FileReport> onFile) {
            this.queue = queue;
            this.onFile = onFile;
        }

        void run() {
            while (true) {
                Event e;
                try {
                    // Crops waiting and nothing new decoded yet: score what there is rather than wait.
                    e = pending.isEmpty() ? queue.take() : queue.poll();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new UserError("interrupted");
                }
                if (e == null) {
                    scoreBatch();
                    finishReady();
                    continue;
                }
                if (e instanceof FileStart s) {
                    open.put(s.index(), new FileState(s.index(), s.batchIndex(), s.path(), s.startNanos()));
                } else if (e instanceof FrameEvent f) {
                    FileState st = open.get(f.index());
                    List<ScoredCrop> crops = new ArrayList<>(f.crops().size());
                    for (CropInput c : f.crops()) {
                        ScoredCrop sc = new ScoredCrop(st, f.frameNumber(), f.seconds(), c);
                        crops.add(sc);
                        pending.add(sc);
                        st.unscored++;
                    }
                    st.frames.add(new FrameRecord(f.frameNumber(), f.seconds(), f.thumbnail(), f.thumbScale(), crops));
                    if (pending.size() >= settings.batch()) {
                        scoreBatch();
                    }
                } else if (e instanceof StageEnd stage) {
                    // The file's frames so far are all here (its decoder waits): score them and decide.
                    scoreBatch();
                    FileState st = open.get(stage.index());
                    AdaptiveSampling.Decision d = decide(st, stage);
                    st.stages++;
                    st.planned = stage.planned();
                    st.stopped = d.stop() ? d.reason() : null;
                    stage.goOn().complete(!d.stop());
                } else if (e instanceof FileEnd end) {
                    FileState st = open.get(end.index());
                    st.ended = true;
                    st.endNanos = end.nanos();
                    st.stream = end.stream();
                    if (end.error() != null) {
                        st.error = end.error();
                        // Frames decoded before the failure are not judged.
                        pending.removeIf(c -> c.file == st);
                        st.unscored = 0;
                    }
                } else if (e instanceof Done) {
                    scoreBatch();
                    finishReady();
                    return;
                } else if (e instanceof Failed f) {
                    if (f.error() instanceof RuntimeException r) {
                        throw r;
                    }
                    if (f.error() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(f.error());
                }
                finishReady();
            }
        }

        /** The stopping rule on a file's faces so far: each confident track's scores, and whether weak detections were seen. */
        AdaptiveSampling.Decision decide(FileState f, StageEnd stage) {
            Map<Integer, List<Double>> byTrack = new TreeMap<>();
            for (FrameRecord fr : f.frames) {
                for (ScoredCrop c : fr.crops()) {
                    if (Double.isFinite(c.score)) {
                        byTrack.computeIfAbsent(c.track, k -> new ArrayList<>()).add(c.score);
                    }
                }
            }
            if (f.error != null) {
                return new AdaptiveSampling.Decision(true, "the model failed on this file's faces");
            }
            Map<Integer, double[]> tracks = new TreeMap<>();
            byTrack.forEach((t, s) -> tracks.put(t, s.stream().mapToDouble(Double::doubleValue).toArray()));
            AdaptiveSampling rule = settings.adaptive();
            // A clip with fewer frames than the grid: its whole grid is the frames it has.
            AdaptiveSampling forClip = stage.planned() == rule.gridFrames() ? rule
                    : new AdaptiveSampling(stage.planned(), rule.z(), rule.minSpread());
            return forClip.decide(stage.sampled(), tracks, stage.weak() > 0, settings.evidence(), detector.threshold());
        }

        void scoreBatch() {
            while (!pending.isEmpty()) {
                int n = Math.min(settings.batch(), pending.size());
                List<ScoredCrop> batch = new ArrayList<>(pending.subList(0, n));
                pending.subList(0, n).clear();
                long t0 = System.nanoTime();
                for (ScoredCrop c : batch) {
                    if (c.file.firstModelNanos == 0) {
                        c.file.firstModelNanos = t0;
                    }
                }
                float[] scores = null;
                String failure = null;
                try (NDManager scope = detector.backbone().manager().newSubManager()) {
                    int per = pre.valuesPerImage();
                    float[] flat = new float[n * per];
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(batch.get(i).input, 0, flat, i * per, per);
                    }
                    scores = detector.score(scope.create(flat, new Shape(n, 3, pre.size(), pre.size())));
                } catch (RuntimeException e) {
                    failure = "the model failed on this file's faces (" + StrictJson.oneLine(String.valueOf(e)) + ")";
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                for (int i = 0; i < n; i++) {
                    ScoredCrop c = batch.get(i);
                    c.file.unscored--;
                    c.file.modelSeconds += seconds / n;
                    if (failure != null) {
                        c.file.error = c.file.error != null ? c.file.error : failure;
                    } else {
                        c.score = scores[i];
                        if (!Double.isFinite(c.score) && c.file.error == null) {
                            c.file.error = String.format(Locale.ROOT, "the detector gave a non-finite score (%s) for the face in frame %d;"
                                    + " no verdict", c.score, c.frame);
                        }
                    }
                    keepIfSuspicious(c);
                }
            }
        }

        /** Keeps pixels and input only for a file's most suspicious crops (the ones to explain). */
        void keepIfSuspicious(ScoredCrop c) {
            FileState f = c.file;
            if (settings.explain() && Double.isFinite(c.score)) {
                f.kept.add(c);
                f.kept.sort(Comparator.comparingDouble((ScoredCrop k) -> k.score).reversed());
                if (f.kept.size() <= settings.explainTop()) {
                    return;
                }
                ScoredCrop dropped = f.kept.remove(f.kept.size() - 1);
                if (dropped != c) {
                    dropped.pixels = null;
                    dropped.input = null;
                    return;
                }
            }
            c.pixels = null;
            c.input = null;
        }

        void finishReady() {
            FileState f;
            while ((f = open.get(nextToFinish)) != null && f.ended && f.unscored == 0) {
                open.remove(nextToFinish);
                nextToFinish++;
                onFile.accept(finish(f));
            }
        }

        FileReport finish(FileState f) {
            double threshold = detector.threshold();
            FacePipeline.FaceStream s = f.stream;
            FaceEvidence evidence = settings.evidence();
            int sampled = s == null ? 0 : s.framesSampled();
            // A track is judged only when seen in enough of the sampled frames (a track has one face per frame).
            Map<Integer, Integer> trackFrames = new TreeMap<>();
            for (FrameRecord fr : f.frames) {
                for (ScoredCrop c : fr.crops()) {
                    trackFrames.merge(c.track, 1, Integer::sum);
                }
            }
            int needed = evidence.framesNeeded(sampled);
            Set<Integer> supported = new HashSet<>();
            trackFrames.forEach((t, n) -> {
                if (n >= needed) {
                    supported.add(t);
                }
            });
            f.supported = supported;
            List<FileReport.FaceScore> faces = new ArrayList<>();
            List<FileReport.WeakFace> weak = new ArrayList<>();
            Map<Integer, List<Double>> perTrack = new TreeMap<>();
            List<Double> judgedScores = new ArrayList<>();
            List<Integer> judgedTracks = new ArrayList<>();
            for (FrameRecord fr : f.frames) {
                for (ScoredCrop c : fr.crops()) {
                    if (!supported.contains(c.track)) {
                        weak.add(new FileReport.WeakFace(c.frame, c.seconds, c.track, c.box, c.faceConfidence, String.format(Locale.ROOT,
                                "face %d seen in %d of %d sampled frames, fewer than the %d needed", c.track, trackFrames.get(c.track),
                                sampled, needed)));
                        continue;
                    }
                    faces.add(new FileReport.FaceScore(c.frame, c.seconds, c.track, c.box, c.faceConfidence, c.score));
                    perTrack.computeIfAbsent(c.track, k -> new ArrayList<>()).add(c.score);
                    judgedScores.add(c.score);
                    judgedTracks.add(c.track);
                }
            }
            if (s != null) {
                for (FacePipeline.Detection d : s.weakFaces()) {
                    weak.add(new FileReport.WeakFace(d.frameNumber(), d.seconds(), -1, d.face().box(), d.face().score(),
                            String.format(Locale.ROOT, "confidence %.3f below %.2f", d.face().score(), evidence.minConfidence())));
                }
            }
            weak.sort(Comparator.comparingInt(FileReport.WeakFace::frame));
            List<FileReport.TrackScore> tracks = new ArrayList<>();
            perTrack.forEach((t, scores) -> tracks.add(new FileReport.TrackScore(t,
                    VIDEO_SCORE.of(scores.stream().mapToDouble(Double::doubleValue).toArray()), scores.size())));
            Verdict verdict;
            double score = Double.NaN;
            if (f.error != null) {
                verdict = Verdict.ERROR;
            } else if (tracks.isEmpty()) {
                verdict = Verdict.NO_FACE;
            } else {
                // One fake face makes a fake file: the rule eval and metrics use too.
                score = VIDEO_SCORE.videoScore(judgedScores.stream().mapToDouble(Double::doubleValue).toArray(),
                        judgedTracks.stream().mapToInt(Integer::intValue).toArray());
                verdict = score >= threshold ? Verdict.FAKE : Verdict.REAL;
            }
            long t0 = System.nanoTime();
            FileReport.Explanation explanation = null;
            if (settings.explain() && verdict != Verdict.ERROR) {
                explanation = explain(f, verdict, score, threshold);
            }
            double explainSeconds = (System.nanoTime() - t0) / 1e9;
            FileReport.Timings timings = new FileReport.Timings(s == null ? Double.NaN : s.decodeSeconds(),
                    s == null ? Double.NaN : s.detectSeconds(), f.modelSeconds, explainSeconds, (System.nanoTime() - f.startNanos) / 1e9,
                    f.firstModelNanos == 0 ? Double.NaN : (f.firstModelNanos - f.startNanos) / 1e9, (f.endNanos - f.startNanos) / 1e9);
            return new FileReport(f.batchIndex, f.path.toString(), verdict, score, threshold, s == null ? 0 : s.framesSampled(),
                    s == null ? 0 : s.framesWithFaces(), tracks, verdict == Verdict.ERROR ? List.of() : faces,
                    verdict == Verdict.ERROR ? List.of() : weak, s == null ? null : s.info(), timings, f.error, explanation, sampling(f, s));
        }

        /** What adaptive sampling did with a video; null for fixed sampling, a still image or a file that could not be read. */
        FileReport.Sampling sampling(FileState f, FacePipeline.FaceStream s) {
            if (settings.adaptive() == null || s == null || f.stages == 0) {
                return null;
            }
            int grid = pipeline.config().sampler().frames();
            String why = f.stopped != null ? f.stopped : "every frame of the grid sampled";
            // Decided stages, and the last one if it was sampled after the final "go on".
            int stages = f.stopped != null ? f.stages : f.stages + 1;
            return new FileReport.Sampling(grid, f.planned, s.framesSampled(), stages, why);
        }

        FileReport.Explanation explain(FileState f, Verdict verdict, double score, double threshold) {
            Path dir = settings.out().resolve(folderName(f.batchIndex, f.path));
            List<FileReport.Overlay> overlays = new ArrayList<>();
            Path sheet = null;
            String error = null;
            try {
                Files.createDirectories(dir);
                sheet = dir.resolve("contact_sheet.png");
                ContactSheet.render(sheetTitle(f, verdict, score, threshold), tiles(f, threshold)).writePng(sheet);
                List<ScoredCrop> top = f.kept.stream().filter(c -> f.supported.contains(c.track)).toList();
                if (!top.isEmpty()) {
                    List<HeatMap> maps = maps(top);
                    for (int i = 0; i < top.size(); i++) {
                        ScoredCrop c = top.get(i);
                        HeatMap map = maps.get(i).normalised();
                        String caption = String.format(Locale.ROOT, "frame %d (%.2f s), face %d: %.3f, %s", c.frame, c.seconds, c.track,
                                c.score, c.score >= threshold ? "fake" : "real");
                        Path file = dir.resolve(String.format(Locale.ROOT, "overlay_%d_frame%d_face%d.png", i + 1, c.frame, c.track));
                        HeatOverlay.panel(c.pixels, map, caption, method.id() + ": " + method.shortName()).writePng(file);
                        overlays.add(new FileReport.Overlay(file, c.frame, c.seconds, c.track, c.score, map));
                    }
                }
            } catch (UserError | IOException e) {
                error = StrictJson.oneLine(e.getMessage());
            } catch (RuntimeException e) {
                error = "cannot explain (" + StrictJson.oneLine(String.valueOf(e)) + ")";
            } finally {
                for (ScoredCrop c : f.kept) {
                    c.pixels = null;
                    c.input = null;
                }
            }
            return new FileReport.Explanation(method.id(), overlays, sheet != null && Files.isRegularFile(sheet) ? sheet : null, error);
        }

        List<HeatMap> maps(List<ScoredCrop> crops) {
            try (NDManager scope = detector.backbone().manager().newSubManager()) {
                int per = pre.valuesPerImage();
                float[] flat = new float[crops.size() * per];
                for (int i = 0; i < crops.size(); i++) {
                    System.arraycopy(crops.get(i).input, 0, flat, i * per, per);
                }
                return Explainer.explain(detector, scope.create(flat, new Shape(crops.size(), 3, pre.size(), pre.size())), method);
            }
        }

        List<ContactSheet.Tile> tiles(FileState f, double threshold) {
            List<ContactSheet.Tile> tiles = new ArrayList<>();
            for (FrameRecord fr : f.frames) {
                if (fr.thumbnail() == null) {
                    continue;
                }
                List<ContactSheet.TileFace> faces = new ArrayList<>();
                double max = Double.NaN;
                for (ScoredCrop c : fr.crops()) {
                    if (!f.supported.contains(c.track)) {
                        continue;
                    }
                    Box b = c.box;
                    double k = fr.scale();
                    faces.add(new ContactSheet.TileFace(new Box(b.x() * k, b.y() * k, b.width() * k, b.height() * k), c.score,
                            c.score >= threshold));
                    max = Double.isNaN(max) ? c.score : Math.max(max, c.score);
                }
                String caption = String.format(Locale.ROOT, "#%d %.2fs %s", fr.frame(), fr.seconds(),
                        faces.isEmpty() ? "no face" : String.format(Locale.ROOT, "%.3f", max));
                tiles.add(new ContactSheet.Tile(fr.thumbnail(), faces, caption));
            }
            return tiles;
        }

        String sheetTitle(FileState f, Verdict verdict, double score, double threshold) {
            String name = f.path.getFileName() == null ? f.path.toString() : f.path.getFileName().toString();
            return String.format(Locale.ROOT, "%s: %s%s (threshold %.3f), %d frames%s", name, verdict.id().toUpperCase(Locale.ROOT),
                    Double.isNaN(score) ? "" : String.format(Locale.ROOT, " %.3f", score), threshold, f.frames.size(),
                    sheetStride > 1 ? ", 1 in " + sheetStride + " shown" : "");
        }
    }

    /**
     * Why a folder in a batch is an item of its own: a batch names folders to be searched, and one
     * that gives no media (empty, or unreadable) is that item's error, not the whole batch's.
     */
    static String folderError(Path dir) {
        try {
            return MediaFilesUnder.media(dir).isEmpty() ? dir + ": no videos or images in this folder"
                    : dir + ": a folder; detect judges the media files in it, not the folder";
        } catch (UserError e) {
            return StrictJson.oneLine(e.getMessage());
        }
    }

    /** Where a file's overlays go: its batch position (names repeat across folders) and a tame form of its name. */
    public static String folderName(int index, Path file) {
        String name = file.getFileName() == null ? "input" : file.getFileName().toString();
        String tame = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (tame.length() > 80) {
            tame = tame.substring(0, 80);
        }
        return String.format(Locale.ROOT, "%03d_%s", index + 1, tame);
    }

}
