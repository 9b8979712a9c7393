package dev.unmask.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.DetectorInfo;
import dev.unmask.api.FileCheck;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import io.javalin.Javalin;
import io.javalin.http.Context;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * {@code unmask serve}: an HTTP adapter over one loaded {@link Detector}. It holds no detection
 * logic: a check is {@code detector.check(file, options)}, and its report is the library's
 * {@link FileCheck} with server paths replaced by names and URLs. Uploads go to a private work
 * folder, checks wait in a bounded queue for a fixed pool of workers, and everything a check left
 * is deleted after the retention time, on DELETE and at shutdown.
 */
public final class UnmaskServer implements AutoCloseable {
    /**
     * @param bind       address to listen on
     * @param port       0 for any free port
     * @param token      bearer token every /v1 call must carry, or null for none (loopback only)
     * @param allowDir   folder whose files clients may name by path, or null
     * @param workDir    where uploads and results live (created; deleted at shutdown), or null for a temporary folder
     */
    public record Settings(String bind, int port, int workers, long maxUpload, String token, Path allowDir, int queue, Duration timeout,
            Duration retention, Path workDir) {
        public Settings {
            if (workers < 1 || queue < 1) {
                throw new UserError("--workers and --queue must be at least 1");
            }
            if (token != null && token.isBlank()) {
                throw new UserError("the token file is empty");
            }
        }
    }

    /** Slack for the multipart envelope (boundaries, headers) around a file of the largest allowed size. */
    private static final long ENVELOPE = 64 * 1024;
    private static final Pattern OVERLAY = Pattern.compile("(\\d{1,3})\\.png");
    private static final ObjectMapper JSON = StrictJson.mapper();

    private final Detector detector;
    private final Settings settings;
    private final Path work;
    private final Path parts;
    private final Path allowed;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timers;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final SecureRandom random = new SecureRandom();
    private final Metrics metrics = new Metrics();
    private final Javalin app;

    private UnmaskServer(Detector detector, Settings settings) throws IOException {
        this.detector = detector;
        this.settings = settings;
        if (settings.token() == null && !InetAddress.getByName(settings.bind()).isLoopbackAddress()) {
            throw new UserError("--bind " + settings.bind() + " is not a loopback address: give --token-file so that only callers with the token"
                    + " can use the server");
        }
        if (settings.allowDir() != null) {
            if (!Files.isDirectory(settings.allowDir())) {
                throw new UserError("--allow-dir " + settings.allowDir() + " is not a folder");
            }
            allowed = settings.allowDir().toRealPath();
        } else {
            allowed = null;
        }
        if (settings.workDir() == null) {
            work = Files.createTempDirectory("unmask-serve-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            work = Files.createDirectories(settings.workDir()).toRealPath();
        }
        parts = Files.createDirectories(work.resolve(".parts"));
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(settings.workers(), settings.workers(), 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(settings.queue()), r -> {
            Thread t = new Thread(r, "unmask-check-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "unmask-timers");
            t.setDaemon(true);
            return t;
        });
        long sweep = Math.max(50, Math.min(settings.retention().toMillis() / 4, 60_000));
        timers.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = 64 * 1024;
            config.jetty.host = settings.bind();
            config.jetty.port = settings.port();
            config.routes.before("/v1/*", this::authorize);
            config.routes.before(ctx -> {
                ctx.header("X-Content-Type-Options", "nosniff");
                ctx.header("Referrer-Policy", "no-referrer");
            });
            config.routes.get("/", ctx -> page(ctx, "index.html", "text/html; charset=utf-8"));
            config.routes.get("/app.js", ctx -> page(ctx, "app.js", "text/javascript; charset=utf-8"));
            config.routes.get("/style.css", ctx -> page(ctx, "style.css", "text/css; charset=utf-8"));
            config.routes.get("/healthz", this::health);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.render(pool.getQueue().size(), pool.getActiveCount(), settings.queue(), settings.workers())));
            config.routes.get("/v1/openapi.yaml", ctx -> page(ctx, "openapi.yaml", "application/yaml; charset=utf-8"));
            config.routes.get("/v1/detector", this::detectorInfo);
            config.routes.post("/v1/checks", this::submit);
            config.routes.get("/v1/checks/{id}", this::status);
            config.routes.delete("/v1/checks/{id}", this::delete);
            config.routes.get("/v1/checks/{id}/overlays/{file}", this::overlay);
            config.routes.exception(ApiError.class, (e, ctx) -> {
                e.headers.forEach(ctx::header);
                json(ctx, e.status, Map.of("error", e.getMessage()));
            });
            config.routes.exception(Exception.class, (e, ctx) -> json(ctx, 500, Map.of("error", "internal error: " + e.getClass().getSimpleName())));
        });
    }

    /** Starts a server over {@code detector} (which stays the caller's to close, after this server). */
    public static UnmaskServer start(Detector detector, Settings settings) {
        try {
            UnmaskServer server = new UnmaskServer(detector, settings);
            try {
                server.app.start();
            } catch (RuntimeException e) {
                server.close();
                throw new UserError("cannot listen on " + settings.bind() + ":" + settings.port() + ": " + rootMessage(e));
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return app.port();
    }

    /** Where uploads and results live while the server runs. */
    public Path workDir() {
        return work;
    }

    /** Stops listening, cancels the checks still queued or running, and deletes every upload and result. */
    @Override
    public void close() {
        app.stop();
        pool.shutdownNow();
        timers.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        jobs.clear();
        deleteTree(work);
    }

    // ---- requests

    private void authorize(Context ctx) {
        if (settings.token() == null) {
            return;
        }
        String header = ctx.header("Authorization");
        byte[] given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8)
                : new byte[0];
        if (!MessageDigest.isEqual(given, settings.token().getBytes(StandardCharsets.UTF_8))) {
            metrics.rejected(401);
            throw new ApiError(401, "missing or wrong bearer token").with("WWW-Authenticate", "Bearer");
        }
    }

    private void submit(Context ctx) throws Exception {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        if (type.startsWith("application/json")) {
            submitPath(ctx);
        } else if (type.startsWith("multipart/form-data")) {
            submitUpload(ctx);
        } else {
            metrics.rejected(415);
            throw new ApiError(415, "send multipart/form-data with the media in a field named file, or JSON {\"path\": ...}");
        }
    }

    private void submitUpload(Context ctx) throws Exception {
        if (pool.getQueue().remainingCapacity() == 0) {
            discardBody(ctx, settings.maxUpload() + ENVELOPE);
            throw full();
        }
        long declared = ctx.req().getContentLengthLong();
        if (declared > settings.maxUpload() + ENVELOPE) {
            // A little is read and dropped so that a client still sending sees the answer; past that the connection closes after it.
            discardBody(ctx, 16L << 20);
            throw tooLarge();
        }
        Job job = newJob();
        try {
            // Jetty writes every part straight to disk (threshold 0) and stops reading past the limits.
            ctx.req().setAttribute("org.eclipse.jetty.multipartConfig",
                    new MultipartConfigElement(parts.toString(), settings.maxUpload(), settings.maxUpload() + ENVELOPE, 0));
            Part part = null;
            try {
                part = ctx.req().getPart("file");
            } catch (Exception e) {
                if (sizeExceeded(e)) {
                    throw tooLarge();
                }
                throw new ApiError(400, "cannot read the multipart upload: " + rootMessage(e));
            }
            try {
                accept(ctx, job, part);
            } finally {
                if (part != null) {
                    part.delete();
                }
            }
        } catch (RuntimeException | IOException e) {
            forget(job);
            throw e;
        }
    }

    /** Sniffs the uploaded part, moves it into the check's folder and queues the check. */
    private void accept(Context ctx, Job job, Part part) throws IOException {
        if (part == null) {
            throw new ApiError(400, "the upload has no field named file");
        }
        if (part.getSize() > settings.maxUpload()) {
            throw tooLarge();
        }
        MediaSniffer.Sniffed kind;
        try (InputStream in = part.getInputStream()) {
            byte[] head = in.readNBytes(MediaSniffer.HEAD);
            kind = MediaSniffer.sniff(head, head.length);
        }
        if (kind == null) {
            metrics.rejected(415);
            throw new ApiError(415, "the upload is neither an image nor a video (by its content)");
        }
        Path media = job.dir.resolve("upload." + kind.extension());
        try (InputStream in = part.getInputStream(); OutputStream out = Files.newOutputStream(media)) {
            in.transferTo(out);
        }
        job.accept(media, displayName(part.getSubmittedFileName()), kind.kind());
        enqueue(ctx, job);
    }

    private void submitPath(Context ctx) throws IOException {
        if (allowed == null) {
            throw new ApiError(403, "this server checks uploads only: checking a local path needs the operator's --allow-dir");
        }
        JsonNode body;
        try {
            body = JSON.readTree(ctx.body());
        } catch (IOException | RuntimeException e) {
            throw new ApiError(400, "the body is not JSON: " + rootMessage(e));
        }
        JsonNode path = body == null ? null : body.get("path");
        if (path == null || !path.isTextual() || path.asText().isEmpty() || path.asText().indexOf('\0') >= 0) {
            throw new ApiError(400, "give {\"path\": \"...\"}, a file under the allowed folder");
        }
        Path real;
        try {
            // Real paths on both sides: "..", absolute names and symbolic links all end up compared where they really point.
            real = allowed.resolve(path.asText()).normalize().toRealPath();
        } catch (NoSuchFileException e) {
            throw new ApiError(404, "no such file under the allowed folder: " + path.asText());
        } catch (IOException | RuntimeException e) {
            throw new ApiError(400, "not a usable path: " + path.asText());
        }
        if (!real.startsWith(allowed) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            metrics.rejected(403);
            throw new ApiError(403, "the path is not a file inside the allowed folder: " + path.asText());
        }
        MediaSniffer.Sniffed kind;
        try (InputStream in = Files.newInputStream(real)) {
            byte[] head = in.readNBytes(MediaSniffer.HEAD);
            kind = MediaSniffer.sniff(head, head.length);
        } catch (IOException e) {
            throw new ApiError(403, "cannot read " + path.asText());
        }
        if (kind == null) {
            metrics.rejected(415);
            throw new ApiError(415, "the file is neither an image nor a video (by its content)");
        }
        refuseWhenFull();
        Job job = newJob();
        job.accept(real, allowed.relativize(real).toString(), kind.kind());
        enqueue(ctx, job);
    }

    private void enqueue(Context ctx, Job job) {
        jobs.put(job.id, job);
        try {
            job.future = pool.submit(() -> run(job));
        } catch (RejectedExecutionException e) {
            forget(job);
            throw full();
        }
        ctx.header("Location", "/v1/checks/" + job.id);
        json(ctx, 202, view(job));
    }

    private void status(Context ctx) {
        json(ctx, 200, view(job(ctx)));
    }

    private void delete(Context ctx) {
        Job job = job(ctx);
        jobs.remove(job.id);
        if (job.finish("cancelled", "deleted by the client", null)) {
            metrics.outcome("cancelled");
        }
        Future<?> f = job.future;
        if (f != null) {
            f.cancel(true);
            if (f instanceof Runnable r) {
                pool.remove(r);
            }
        }
        // A running check still writes into its folder; its worker deletes it again when the check returns.
        deleteTree(job.dir);
        ctx.status(204);
    }

    private void overlay(Context ctx) throws IOException {
        Job job = job(ctx);
        var m = OVERLAY.matcher(ctx.pathParam("file"));
        List<Path> overlays = job.overlays;
        if (!m.matches() || overlays == null || Integer.parseInt(m.group(1)) >= overlays.size()) {
            throw new ApiError(404, "no such overlay");
        }
        Path file = overlays.get(Integer.parseInt(m.group(1)));
        if (!Files.isRegularFile(file)) {
            throw new ApiError(404, "the overlay is gone");
        }
        ctx.header("Cache-Control", "private, max-age=3600");
        ctx.contentType("image/png").result(Files.newInputStream(file));
    }

    private void detectorInfo(Context ctx) {
        DetectorInfo i = detector.info();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", i.path() == null ? null : Path.of(i.path()).getFileName().toString());
        out.put("approach", i.approach());
        out.put("features", i.features());
        out.put("threshold", i.threshold());
        out.put("backbone", i.backbone());
        out.put("backbone_sha256", i.backboneSha256());
        out.put("crop_contract", i.cropContract());
        out.put("validation_eer", i.validationEer());
        out.put("crop_contract_declared", i.cropContractDeclared());
        // An imported detector's origin: repo, commit, file hashes, paper, licence (no local paths).
        out.put("source", i.source());
        json(ctx, 200, out);
    }

    private void health(Context ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "ok");
        out.put("workers", settings.workers());
        out.put("running", pool.getActiveCount());
        out.put("queued", pool.getQueue().size());
        out.put("queue_capacity", settings.queue());
        json(ctx, 200, out);
    }

    private void page(Context ctx, String name, String type) throws IOException {
        try (InputStream in = UnmaskServer.class.getResourceAsStream(name.equals("openapi.yaml") ? name : "web/" + name)) {
            if (in == null) {
                throw new ApiError(404, "not found");
            }
            // Nothing outside this server may be fetched or framed: the page is self-contained.
            ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self';"
                    + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    // ---- checks

    private void run(Job job) {
        if (!job.start()) {
            return;
        }
        ScheduledFuture<?> watchdog = timers.schedule(() -> {
            if (job.finish("cancelled", "timed out after " + settings.timeout().toMillis() / 1000.0 + " s", null)) {
                metrics.outcome("timeout");
                metrics.latency(job.seconds());
                Future<?> f = job.future;
                if (f != null) {
                    f.cancel(true);
                }
            }
        }, settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            CheckOptions options = CheckOptions.defaults().withOut(Files.createDirectories(job.dir.resolve("out"))).withExplanations(3, null);
            FileCheck report = detector.check(job.media, options);
            FileCheck shown = forClients(job, report);
            if (job.finish("done", null, shown)) {
                metrics.outcome(report.verdict().toString().toLowerCase(Locale.ROOT));
                metrics.latency(job.seconds());
            }
        } catch (Throwable e) {
            if (job.finish("failed", "the check failed: " + rootMessage(e).replace(job.media.toString(), job.name), null)) {
                metrics.outcome("failed");
                metrics.latency(job.seconds());
            }
        } finally {
            watchdog.cancel(false);
            if (!jobs.containsKey(job.id)) {
                deleteTree(job.dir);
            }
        }
    }

    /** The library's report with server paths replaced: the file's name as the client gave it, overlays as URLs. */
    private FileCheck forClients(Job job, FileCheck r) {
        FileCheck.Explanation e = r.explanation();
        FileCheck.Explanation shown = null;
        if (e != null) {
            List<Path> files = new ArrayList<>();
            List<FileCheck.Overlay> overlays = new ArrayList<>();
            for (FileCheck.Overlay o : e.overlays()) {
                overlays.add(new FileCheck.Overlay("/v1/checks/" + job.id + "/overlays/" + files.size() + ".png", o.frame(), o.seconds(), o.track(),
                        o.score(), o.patchSize(), o.heatGrid()));
                files.add(Path.of(o.file()));
            }
            job.overlays = List.copyOf(files);
            shown = new FileCheck.Explanation(e.method(), null, e.error(), overlays);
        }
        String error = r.error() == null ? null : r.error().replace(job.media.toString(), job.name);
        return new FileCheck(r.schemaVersion(), job.name, r.verdict(), r.score(), r.threshold(), r.frames(), r.framesWithFaces(), r.faces(), error,
                r.faceScores(), r.frameScores(), r.weakFaces(), r.media(), r.timings(), shown, r.sampling());
    }

    private void sweep() {
        long now = System.currentTimeMillis();
        for (Job job : jobs.values()) {
            if (job.finishedAt > 0 && now - job.finishedAt > settings.retention().toMillis()) {
                // Files first: a client that sees the check gone finds nothing of it left.
                deleteTree(job.dir);
                jobs.remove(job.id);
            }
        }
        // Parts of uploads that were cut off are Jetty's to delete; anything it left for longer than the retention goes too.
        try (var left = Files.list(parts)) {
            left.filter(p -> {
                try {
                    return now - Files.getLastModifiedTime(p).toMillis() > settings.retention().toMillis();
                } catch (IOException e) {
                    return false;
                }
            }).forEach(UnmaskServer::deleteTree);
        } catch (IOException ignored) {
            // The folder is gone only when the server is closing.
        }
    }

    private Map<String, Object> view(Job job) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", job.id);
        out.put("name", job.name);
        out.put("kind", job.kind);
        out.put("status", job.status);
        out.put("created", job.created.toString());
        Map<String, Object> progress = new LinkedHashMap<>();
        if (job.status.equals("queued")) {
            progress.put("queue_position", jobs.values().stream().filter(j -> j.status.equals("queued") && j.seq < job.seq).count() + 1);
        }
        progress.put("elapsed_s", Math.round(job.seconds() * 10) / 10.0);
        out.put("progress", progress);
        out.put("error", job.error);
        out.put("report", job.report);
        return out;
    }

    private Job newJob() throws IOException {
        byte[] b = new byte[12];
        random.nextBytes(b);
        String id = HexFormat.of().formatHex(b);
        return new Job(id, sequence.incrementAndGet(), Files.createDirectory(work.resolve(id)));
    }

    private void forget(Job job) {
        jobs.remove(job.id);
        deleteTree(job.dir);
    }

    private Job job(Context ctx) {
        Job job = jobs.get(ctx.pathParam("id"));
        if (job == null) {
            throw new ApiError(404, "no such check (finished checks are kept for " + settings.retention().toSeconds() + " s)");
        }
        return job;
    }

    /**
     * Reads and drops the body of a request refused before it was read, so that the client, still
     * sending, gets the answer instead of a reset connection; past {@code limit} bytes the
     * connection is closed after the answer instead.
     */
    private void discardBody(Context ctx, long limit) throws IOException {
        byte[] sink = new byte[64 * 1024];
        long left = limit;
        try (InputStream in = ctx.req().getInputStream()) {
            int n;
            while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
                left -= n;
            }
        }
        if (left <= 0) {
            ctx.header("Connection", "close");
        }
    }

    private void refuseWhenFull() {
        if (pool.getQueue().remainingCapacity() == 0) {
            throw full();
        }
    }

    private ApiError full() {
        metrics.rejected(429);
        // A rough wait: the queue's share of work at the mean latency so far, at least a second.
        double mean = metrics.meanLatency();
        long wait = Math.max(1, Math.min(300, Math.round(Double.isNaN(mean) ? 5 : mean * (settings.queue() + 1) / settings.workers())));
        return new ApiError(429, "the queue is full (" + settings.queue() + " checks waiting); try again later").with("Retry-After", Long.toString(wait));
    }

    private ApiError tooLarge() {
        metrics.rejected(413);
        return new ApiError(413, "the upload is larger than this server's limit of " + settings.maxUpload() + " bytes");
    }

    private static boolean sizeExceeded(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("max") || m.contains("exceed") || m.contains("too large") || m.contains("413")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String displayName(String submitted) {
        if (submitted == null || submitted.isBlank()) {
            return "upload";
        }
        String base = submitted.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1).replaceAll("\\p{Cntrl}", "");
        return base.isBlank() ? "upload" : base.length() > 200 ? base.substring(0, 200) : base;
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // A file still being written (a check finishing) is deleted by its worker or the next sweep.
        }
    }

    /** One check: its folder, its state, and, when done, its report. */
    private static final class Job {
        final String id;
        final long seq;
        final Path dir;
        final Instant created = Instant.now();
        final long createdNanos = System.nanoTime();
        volatile Path media;
        volatile String name;
        volatile String kind;
        volatile String status = "queued";
        volatile String error;
        volatile FileCheck report;
        volatile List<Path> overlays;
        volatile Future<?> future;
        volatile long finishedAt;
        volatile long endNanos;

        Job(String id, long seq, Path dir) {
            this.id = id;
            this.seq = seq;
            this.dir = dir;
        }

        void accept(Path media, String name, String kind) {
            this.media = media;
            this.name = name;
            this.kind = kind;
        }

        synchronized boolean start() {
            if (!status.equals("queued")) {
                return false;
            }
            status = "running";
            return true;
        }

        /** Moves to a final state once; later calls (a timeout racing the end of a check) change nothing. */
        synchronized boolean finish(String to, String why, FileCheck result) {
            if (status.equals("done") || status.equals("failed") || status.equals("cancelled")) {
                return false;
            }
            report = result;
            error = why;
            endNanos = System.nanoTime();
            finishedAt = System.currentTimeMillis();
            status = to;
            return true;
        }

        double seconds() {
            long end = endNanos == 0 ? System.nanoTime() : endNanos;
            return (end - createdNanos) / 1e9;
        }
    }

    /** An HTTP error with its status, message and headers, answered as JSON {"error": ...}. */
    static final class ApiError extends RuntimeException {
        final int status;
        final Map<String, String> headers = new LinkedHashMap<>();

        ApiError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        ApiError with(String header, String value) {
            headers.put(header, value);
            return this;
        }
    }
}
