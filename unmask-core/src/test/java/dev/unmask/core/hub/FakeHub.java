package dev.unmask.core.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small Hugging Face Hub on 127.0.0.1, behaving as the real one does for the requests
 * {@code pull} makes: {@code /{owner}/{name}/resolve/{revision}/{file}} answers LFS files with a
 * 302 to a separate "CDN" server (another port, so another origin) carrying {@code X-Repo-Commit},
 * {@code X-Linked-Etag} and {@code X-Linked-Size}, and small files with 200 and a git blob id
 * {@code ETag}; errors carry {@code X-Error-Code}. The CDN honours {@code Range}. Faults can be
 * injected: a connection dropped mid-file, a wrong published checksum, a gated repo.
 */
public final class FakeHub implements AutoCloseable {
    /** One request as received; header names lower-case. */
    public record Request(String server, String method, String path, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A repo: commits (file name → bytes) and refs (branch or tag → commit). */
    public final class Repo {
        private final Map<String, Map<String, byte[]>> commits = new ConcurrentHashMap<>();
        private final Map<String, String> refs = new ConcurrentHashMap<>();
        private final Map<String, String> publishedSha = new ConcurrentHashMap<>();
        private volatile String requiredToken;

        /** Adds a commit with these files and moves {@code branch} to it; returns the commit id. */
        public String commit(String branch, Map<String, byte[]> files) {
            MessageDigest d = digest("SHA-1");
            d.update(branch.getBytes(StandardCharsets.UTF_8));
            d.update(Integer.toString(commitCounter++).getBytes(StandardCharsets.UTF_8));
            files.forEach((name, bytes) -> {
                d.update(name.getBytes(StandardCharsets.UTF_8));
                d.update(bytes);
            });
            String commit = HexFormat.of().formatHex(d.digest());
            commits.put(commit, new LinkedHashMap<>(files));
            refs.put(branch, commit);
            for (byte[] bytes : files.values()) {
                blobs.put(sha256(bytes), bytes);
            }
            return commit;
        }

        public Repo tag(String name, String commit) {
            refs.put(name, commit);
            return this;
        }

        /** The Hub will publish this SHA-256 for {@code file} instead of the real one. */
        public Repo publishSha256(String file, String sha256) {
            publishedSha.put(file, sha256);
            return this;
        }

        /** Only requests with {@code Authorization: Bearer token} may read the repo. */
        public Repo gated(String token) {
            requiredToken = token;
            return this;
        }
    }

    private static final Pattern RESOLVE = Pattern.compile("/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");
    private static final Set<String> LFS_SUFFIXES = Set.of(".safetensors", ".bin", ".pth");

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, Long> dropAfter = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean honourRange = true;
    private int commitCounter;

    public FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", ex -> handle(ex, "hub", this::serveHub));
        cdn.createContext("/", ex -> handle(ex, "cdn", this::serveCdn));
        hub.start();
        cdn.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    public Repo repo(String id) {
        return repos.computeIfAbsent(id, k -> new Repo());
    }

    /** The next CDN download of these bytes sends the right headers but closes after {@code bytes}. */
    public void dropNextDownloadAfter(byte[] content, long bytes) {
        dropAfter.put(sha256(content), bytes);
    }

    /** Make the CDN ignore Range headers, as some servers do, and always send the whole file. */
    public void ignoreRange() {
        honourRange = false;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> requests(String server, String method) {
        return requests.stream().filter(r -> r.server().equals(server) && r.method().equals(method)).toList();
    }

    public void clearRequests() {
        requests.clear();
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }

    private interface Handler {
        void serve(HttpExchange ex) throws IOException;
    }

    private void handle(HttpExchange ex, String server, Handler handler) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        String path = ex.getRequestURI().getRawPath();
        requests.add(new Request(server, ex.getRequestMethod(), path, headers));
        try (ex) {
            handler.serve(ex);
        }
    }

    private void serveHub(HttpExchange ex) throws IOException {
        Matcher m = RESOLVE.matcher(ex.getRequestURI().getRawPath());
        if (!m.matches()) {
            send(ex, 404, null);
            return;
        }
        String repoId = decode(m.group(1)) + "/" + decode(m.group(2));
        String revision = decode(m.group(3));
        String file = decode(m.group(4));
        Repo repo = repos.get(repoId);
        if (repo == null) {
            send(ex, 404, "RepoNotFound");
            return;
        }
        if (repo.requiredToken != null) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                send(ex, 401, "GatedRepo");
                return;
            }
            if (!auth.equals("Bearer " + repo.requiredToken)) {
                send(ex, 403, "GatedRepo");
                return;
            }
        }
        String commit = repo.commits.containsKey(revision) ? revision : repo.refs.get(revision);
        if (commit == null) {
            send(ex, 404, "RevisionNotFound");
            return;
        }
        ex.getResponseHeaders().set("X-Repo-Commit", commit);
        byte[] bytes = repo.commits.get(commit).get(file);
        if (bytes == null) {
            send(ex, 404, "EntryNotFound");
            return;
        }
        String sha = sha256(bytes);
        if (LFS_SUFFIXES.stream().anyMatch(file::endsWith)) {
            String published = repo.publishedSha.getOrDefault(file, sha);
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + published + "\"");
            ex.getResponseHeaders().set("ETag", "\"" + published + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", Long.toString(bytes.length));
            int cdnPort = cdn.getAddress().getPort();
            ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdnPort + "/blobs/" + sha + "?sig=one-hour");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().set("ETag", "\"" + gitBlobId(bytes) + "\"");
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(bytes.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private void serveCdn(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        byte[] bytes = path.startsWith("/blobs/") ? blobs.get(path.substring("/blobs/".length())) : null;
        if (bytes == null || !"sig=one-hour".equals(ex.getRequestURI().getRawQuery())) {
            send(ex, 403, null);
            return;
        }
        String sha = path.substring("/blobs/".length());
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && honourRange) {
            Matcher m = RANGE.matcher(range);
            if (!m.matches()) {
                send(ex, 400, null);
                return;
            }
            start = Long.parseLong(m.group(1));
            if (start >= bytes.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + bytes.length);
                send(ex, 416, null);
                return;
            }
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        int status = start > 0 || (range != null && honourRange) ? 206 : 200;
        ex.sendResponseHeaders(status, bytes.length - start);
        OutputStream body = ex.getResponseBody();
        Long drop = dropAfter.remove(sha);
        if (drop != null && drop > start) {
            body.write(bytes, (int) start, (int) (drop - start));
            body.flush();
            // Leaving the handler with an exception makes the server close the connection with the
            // body cut short, which is what a dropped connection looks like to the client.
            throw new IOException("fault injected: connection dropped after " + drop + " bytes");
        }
        body.write(bytes, (int) start, (int) (bytes.length - start));
    }

    private static void send(HttpExchange ex, int status, String errorCode) throws IOException {
        if (errorCode != null) {
            ex.getResponseHeaders().set("X-Error-Code", errorCode);
        }
        ex.sendResponseHeaders(status, -1);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest("SHA-256").digest(bytes));
    }

    public static String gitBlobId(byte[] bytes) {
        MessageDigest d = digest("SHA-1");
        d.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(d.digest(bytes));
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deterministic pseudo-random bytes, so tests can build files of any size. */
    public static byte[] bytes(int size, long seed) {
        byte[] out = new byte[size];
        new java.util.Random(seed).nextBytes(out);
        return out;
    }

    public static List<String> paths(List<Request> requests) {
        List<String> out = new ArrayList<>();
        for (Request r : requests) {
            out.add(r.method() + " " + r.server() + " " + r.path());
        }
        return out;
    }

    /** Writes a snapshot into a Hugging Face cache folder the way huggingface_hub does: blobs named by hash, snapshot files as symlinks. */
    public static void writeHuggingFaceSnapshot(java.nio.file.Path hfCache, String repo, String commit, java.util.Map<String, byte[]> files)
            throws java.io.IOException {
        java.nio.file.Path repoDir = hfCache.resolve("models--" + repo.replace("/", "--"));
        java.nio.file.Path blobs = java.nio.file.Files.createDirectories(repoDir.resolve("blobs"));
        java.nio.file.Path snapshot = java.nio.file.Files.createDirectories(repoDir.resolve("snapshots").resolve(commit));
        for (java.util.Map.Entry<String, byte[]> e : files.entrySet()) {
            String blob = e.getKey().endsWith(".safetensors") ? sha256(e.getValue()) : gitBlobId(e.getValue());
            java.nio.file.Files.write(blobs.resolve(blob), e.getValue());
            java.nio.file.Files.createSymbolicLink(snapshot.resolve(e.getKey()), java.nio.file.Path.of("../../blobs").resolve(blob));
        }
        java.nio.file.Files.createDirectories(repoDir.resolve("refs"));
        java.nio.file.Files.writeString(repoDir.resolve("refs/main"), commit);
    }
}
