package dev.unmask.media.extract;

import dev.unmask.core.io.FileTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.UserError;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.Csv;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.progress.ProgressBar;
import dev.unmask.media.Crop;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.MediaFaces;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.dataset.Split;
import dev.unmask.media.dataset.VideoEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * Turns a dataset's videos into face crops and datalists, resumably.
 *
 * <p>Layout of the output folder: {@code faces/<video key>/f<frame>_t<track>.png} (the crops),
 * {@code <split>.csv} (datalists: {@code relative_path,label,video}), {@code errors.csv},
 * {@code summary.json}, {@code extract.json} (the settings, so that a resumed run cannot mix
 * crops made differently) and {@code .extract/done/<video key>.json} (one record per finished
 * video, written last and atomically: its presence means the video's crops are all on disk).
 *
 * <p>A killed run leaves complete files only: crops and records are written to a temporary name
 * and renamed. A restarted run skips every video with a record, clears the leftovers of a video
 * that was in progress, and rewrites the datalists from the records.
 */
public final class Extractor {
    public static final String SETTINGS = "extract.json";
    static final String FACES = "faces";
    static final String DONE = ".extract/done";
    private static final ObjectMapper JSON = StrictJson.mapper();

    private final ExtractConfig config;

    public Extractor(ExtractConfig config) {
        this.config = config;
    }

    public ExtractSummary run(List<VideoEntry> entries, Map<String, Object> dataset, IntFunction<ProgressBar> progressFactory) {
        long t0 = System.nanoTime();
        Path out = config.out();
        FacePipeline first = FacePipeline.open(config.detector(), config.pipeline());
        ConcurrentLinkedQueue<FacePipeline> pipelines = new ConcurrentLinkedQueue<>();
        pipelines.add(first);
        try {
            checkSettings(out, settings(dataset, first));
            removeTemporaries(out);
            List<VideoEntry> pending = new ArrayList<>();
            int skipped = 0;
            for (VideoEntry e : entries) {
                JsonNode done = readRecord(e);
                if (done != null && !(config.retryErrors() && done.path("status").asText().equals("error"))) {
                    skipped++;
                } else {
                    pending.add(e);
                }
            }
            ProgressBar progress = progressFactory.apply(pending.size());
            Totals totals = new Totals();
            ThreadLocal<FacePipeline> perThread = new ThreadLocal<>();
            AtomicInteger firstTaken = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(config.workers(), r -> {
                Thread t = new Thread(r, "unmask-extract");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (VideoEntry e : pending) {
                    futures.add(pool.submit(() -> {
                        FacePipeline p = perThread.get();
                        if (p == null) {
                            // The pipeline opened up front (which proved the detector works) goes to the first worker.
                            p = firstTaken.getAndIncrement() == 0 ? first : FacePipeline.open(config.detector(), config.pipeline());
                            if (p != first) {
                                pipelines.add(p);
                            }
                            perThread.set(p);
                        }
                        String status = extractOne(p, e, totals, progress);
                        progress.advance(totals.finished(status));
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (ExecutionException e) {
                pool.shutdownNow();
                Throwable c = e.getCause();
                if (c instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(c);
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
                throw new UserError("interrupted; run the same command again to resume");
            } finally {
                pool.shutdown();
                // Workers may still be inside a native detector; it must not be closed under them.
                awaitTermination(pool);
                progress.close();
            }
            return finish(entries, skipped, pending.size(), totals, (System.nanoTime() - t0) / 1e9);
        } finally {
            pipelines.forEach(FacePipeline::close);
        }
    }

    /**
     * The run split for a cluster, where videos are extracted by many processes into one shared
     * folder. {@link #prepare} once, before any video (it checks or writes the settings and clears
     * the temporaries a killed run left); {@link #extractEach} in any number of processes, on
     * disjoint sets of videos; {@link #summarize} once, after all, from the records on disk.
     */
    public void prepare(Map<String, Object> dataset) {
        try (FacePipeline p = FacePipeline.open(config.detector(), config.pipeline())) {
            checkSettings(config.out(), settings(dataset, p));
            removeTemporaries(config.out());
        }
    }

    /** One video's outcome in {@link #extractEach}: ok, no_face, error, or done (a record was there already). */
    public record VideoOutcome(String key, String status, String error) {}

    /**
     * Extracts, one after another on one face pipeline, the videos that have no record yet, and
     * returns every video's outcome in order. Writes crops and records only, as {@link #run} does.
     */
    public List<VideoOutcome> extractEach(List<VideoEntry> entries) {
        List<VideoOutcome> outcomes = new ArrayList<>();
        FacePipeline p = null;
        ProgressBar quiet = ProgressBar.start(new java.io.PrintWriter(java.io.Writer.nullWriter()), false, "extract", entries.size(),
                ProgressBar.Unit.of("videos"));
        try {
            for (VideoEntry e : entries) {
                JsonNode done = readRecord(e);
                if (done == null || config.retryErrors() && done.path("status").asText().equals("error")) {
                    if (p == null) {
                        p = FacePipeline.open(config.detector(), config.pipeline());
                    }
                    extractOne(p, e, new Totals(), quiet);
                    JsonNode r = readRecord(e);
                    outcomes.add(new VideoOutcome(e.key(), r.path("status").asText(), r.path("error").isTextual() ? r.path("error").asText() : null));
                } else {
                    outcomes.add(new VideoOutcome(e.key(), "done", null));
                }
            }
            return outcomes;
        } finally {
            quiet.close();
            if (p != null) {
                p.close();
            }
        }
    }

    /**
     * The datalists, errors.csv and summary.json of all {@code entries}, from their records (every
     * entry must have one); the times and frame counts are those of the videos in {@code extractedNow}.
     */
    public ExtractSummary summarize(List<VideoEntry> entries, java.util.Set<String> extractedNow, double seconds) {
        Totals totals = new Totals();
        int processed = 0;
        for (VideoEntry e : entries) {
            if (!extractedNow.contains(e.key())) {
                continue;
            }
            processed++;
            JsonNode r = readRecord(e);
            if (r != null && r.has("frames")) {
                totals.decode += r.path("decode_seconds").asDouble();
                totals.detect += r.path("detect_seconds").asDouble();
                totals.frames += r.path("frames").asLong();
            }
        }
        return finish(entries, entries.size() - processed, processed, totals, seconds);
    }

    private static void awaitTermination(ExecutorService pool) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Process-wide sums, updated by the workers. */
    private static final class Totals {
        double decode;
        double detect;
        long frames;

        int errors;
        int noFace;

        /** Counts a finished video; the counts so far, for the progress bar. */
        synchronized String finished(String status) {
            if (status.equals("error")) {
                errors++;
            } else if (status.equals("no_face")) {
                noFace++;
            }
            return errors + " errors, " + noFace + " without faces";
        }

        synchronized void add(MediaFaces m) {
            decode += m.decodeSeconds();
            detect += m.detectSeconds();
            frames += m.framesSampled();
        }
    }

    /**
     * Extracts one video. A problem with the file is recorded as that video's error and the batch
     * goes on; a problem writing the output stops the run (it would fail for every video).
     */
    private String extractOne(FacePipeline pipeline, VideoEntry e, Totals totals, ProgressBar progress) {
        Path dir = config.out().resolve(FACES).resolve(e.key());
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("key", e.key());
        record.put("file", e.file().toString());
        try {
            // Leftovers of a run killed while on this video: complete crops and temporary files alike go.
            FileTrees.delete(dir);
            MediaFaces m;
            try {
                m = pipeline.process(e.file());
            } catch (UserError | IllegalStateException | IllegalArgumentException err) {
                String msg = StrictJson.oneLine(err instanceof UserError ? err.getMessage() : "internal error: " + err);
                record.put("status", "error");
                record.put("error", msg);
                writeRecord(e, record);
                progress.message("unmask: " + msg);
                return "error";
            }
            totals.add(m);
            List<Map<String, Object>> crops = new ArrayList<>();
            for (Crop c : m.crops()) {
                String name = (c.frameNumber() >= 0 ? String.format("f%06d", c.frameNumber())
                        : String.format("ms%09d", Math.round(c.seconds() * 1000))) + "_t" + c.track() + ".png";
                Path file = dir.resolve(name);
                c.pixels().writePng(file);
                Map<String, Object> cr = new LinkedHashMap<>();
                cr.put("path", config.out().relativize(file).toString().replace('\\', '/'));
                cr.put("frame", c.frameNumber());
                cr.put("seconds", c.seconds());
                cr.put("track", c.track());
                cr.put("box", List.of(c.face().box().x(), c.face().box().y(), c.face().box().width(), c.face().box().height()));
                cr.put("score", c.face().score());
                crops.add(cr);
            }
            String status = m.noFace() ? "no_face" : "ok";
            record.put("status", status);
            record.put("frames", m.framesSampled());
            record.put("frames_with_faces", m.framesWithFaces());
            record.put("damaged", m.info().damaged());
            record.put("decode_seconds", m.decodeSeconds());
            record.put("detect_seconds", m.detectSeconds());
            record.put("crops", crops);
            // Last: the record's presence means every crop above is on disk.
            writeRecord(e, record);
            return status;
        } catch (IOException io) {
            throw new UserError(config.out() + ": cannot write (" + io.getMessage() + ")");
        }
    }

    private void writeRecord(VideoEntry e, Map<String, Object> record) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(record);
        AtomicFiles.write(recordPath(e), o -> o.write(bytes));
    }

    private ExtractSummary finish(List<VideoEntry> entries, int skipped, int processed, Totals totals, double seconds) {
        Map<Split, Csv.Table> lists = new TreeMap<>();
        Map<String, int[]> videoCounts = new TreeMap<>();
        Map<String, long[]> cropCounts = new TreeMap<>();
        Csv.Table errors = new Csv.Table("video", "file", "error");
        int ok = 0;
        int noFace = 0;
        int failed = 0;
        boolean perTrack = config.pipeline().selection() == FaceSelection.ALL;
        for (VideoEntry e : entries) {
            JsonNode r = readRecord(e);
            if (r == null) {
                throw new IllegalStateException("no record for finished video " + e.key());
            }
            switch (r.path("status").asText()) {
                case "ok" -> ok++;
                case "no_face" -> noFace++;
                default -> {
                    failed++;
                    errors.row(e.key(), e.file(), r.path("error").asText());
                    continue;
                }
            }
            Csv.Table list = lists.computeIfAbsent(e.split(), s -> new Csv.Table("relative_path", "label", "video"));
            int fake = e.label() > 0 ? 1 : 0;
            videoCounts.computeIfAbsent(e.split().id(), s -> new int[2])[fake]++;
            for (JsonNode c : r.path("crops")) {
                String video = perTrack ? e.key() + "#t" + c.path("track").asInt() : e.key();
                list.row(c.path("path").asText(), e.label(), video);
                cropCounts.computeIfAbsent(e.split().id(), s -> new long[2])[fake]++;
            }
        }
        List<Path> written = new ArrayList<>();
        try {
            for (Map.Entry<Split, Csv.Table> l : lists.entrySet()) {
                Path p = config.out().resolve(l.getKey().id() + ".csv");
                AtomicFiles.writeString(p, l.getValue().text());
                written.add(p);
            }
            AtomicFiles.writeString(config.out().resolve("errors.csv"), errors.text());
            Map<String, ExtractSummary.SplitCount> splits = new TreeMap<>();
            for (String s : videoCounts.keySet()) {
                int[] v = videoCounts.get(s);
                long[] c = cropCounts.getOrDefault(s, new long[2]);
                splits.put(s, new ExtractSummary.SplitCount(v[0], v[1], c[0], c[1]));
            }
            ExtractSummary summary = new ExtractSummary(entries.size(), skipped, processed, ok, noFace, failed, splits, written, seconds,
                    totals.decode, totals.detect, totals.frames);
            byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary);
            AtomicFiles.write(config.out().resolve("summary.json"), o -> o.write(json));
            return summary;
        } catch (IOException e) {
            throw new UserError(config.out() + ": cannot write the datalists (" + e.getMessage() + ")");
        }
    }

    private Map<String, Object> settings(Map<String, Object> dataset, FacePipeline pipeline) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("dataset", new TreeMap<>(dataset));
        s.put("crop_contract", pipeline.contract().toMap());
        s.put("frames", config.pipeline().sampler().frames());
        s.put("faces", config.pipeline().selection().name().toLowerCase(java.util.Locale.ROOT));
        return s;
    }

    /** The first run writes the settings; later runs must match them, or crops made differently would mix. */
    private static void checkSettings(Path out, Map<String, Object> settings) {
        Path file = out.resolve(SETTINGS);
        JsonNode wanted = JSON.valueToTree(settings);
        try {
            if (Files.isRegularFile(file)) {
                JsonNode existing = StrictJson.read(file);
                if (!existing.equals(wanted)) {
                    List<String> diffs = new ArrayList<>();
                    diff("", existing, wanted, diffs);
                    throw new UserError(out + ": was made with other settings (" + String.join("; ", diffs)
                            + "); one output folder holds crops of one recipe, so use another --out");
                }
                return;
            }
            Files.createDirectories(out);
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(wanted);
            AtomicFiles.write(file, o -> o.write(bytes));
        } catch (IOException e) {
            throw new UserError(out + ": cannot write (" + e.getMessage() + ")");
        }
    }

    private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a.isObject() && b.isObject()) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                diff(path.isEmpty() ? k : path + "." + k, a.path(k), b.path(k), out);
            }
        } else if (!a.equals(b)) {
            out.add(path + ": " + (a.isMissingNode() ? "none" : a.toString()) + " then, " + (b.isMissingNode() ? "none" : b.toString()) + " now");
        }
    }

    /**
     * Temporary files of writes a killed run did not finish (records, datalists). Crop folders are
     * not walked here: a video in progress has no record, and its folder is cleared when redone.
     */
    private static void removeTemporaries(Path out) {
        try {
            removeTemporariesIn(out);
        } catch (IOException e) {
            throw new UserError(out + ": cannot clean up after an interrupted run (" + e.getMessage() + ")");
        }
    }

    private static void removeTemporariesIn(Path out) throws IOException {
        for (Path dir : List.of(out, out.resolve(DONE))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(dir, dir.equals(out) ? 1 : Integer.MAX_VALUE)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(".") && n.endsWith(".tmp")) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    private Path recordPath(VideoEntry e) {
        return config.out().resolve(DONE).resolve(e.key() + ".json");
    }

    private JsonNode readRecord(VideoEntry e) {
        Path p = recordPath(e);
        return Files.isRegularFile(p) ? StrictJson.read(p) : null;
    }
}
