package dev.unmask.core.hub;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Unmask's model cache:
 * <pre>
 * models/OWNER--NAME/refs/REVISION            the commit REVISION pointed to when pulled
 * models/OWNER--NAME/snapshots/COMMIT/…       config.json, weights, pull.json
 * models/OWNER--NAME/downloads/KEY.incomplete partial downloads, resumable
 * </pre>
 * A snapshot counts only once its {@code pull.json} exists, and that is written after every file
 * is verified and in place; {@code refs} are written after that.
 */
final class ModelCache {
    static final String FORMAT = "unmask-pull/1";
    private static final Pattern PLAIN_FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}");

    private final Path modelsDir;

    ModelCache(Path modelsDir) {
        this.modelsDir = modelsDir;
    }

    Path repoDir(RepoId repo) {
        return modelsDir.resolve(repo.cacheDirName());
    }

    Path snapshotDir(RepoId repo, String commit) {
        if (!Revisions.isCommit(commit)) {
            throw new IllegalArgumentException("not a commit: " + commit);
        }
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    Path partialFile(RepoId repo, String key) {
        return repoDir(repo).resolve("downloads").resolve(key + ".incomplete");
    }

    /** The commit a revision names: itself if it is one, else what {@code refs/REVISION} holds. */
    Optional<String> commitFor(RepoId repo, String revision) {
        return readRef(repoDir(repo).resolve("refs"), revision);
    }

    void writeRef(RepoId repo, String revision, String commit) throws IOException {
        if (!Revisions.isCommit(revision)) {
            AtomicFiles.writeString(repoDir(repo).resolve("refs").resolve(revision), commit);
        }
    }

    /** Both caches store a ref as a file holding the commit; bad content reads as "no ref". */
    static Optional<String> readRef(Path refsDir, String revision) {
        if (Revisions.isCommit(revision)) {
            return Optional.of(revision);
        }
        Path ref = refsDir.resolve(revision);
        try {
            if (!Files.isRegularFile(ref) || Files.size(ref) > 1024) {
                return Optional.empty();
            }
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return Revisions.isCommit(commit) ? Optional.of(commit) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The snapshot of {@code commit} if it is complete: its manifest reads back, names this repo
     * and commit, and every file it lists is there with the recorded size. Hashes are not
     * recomputed here (that is reading gigabytes); they were checked when the files arrived.
     */
    Optional<PulledSnapshot> complete(RepoId repo, String commit) {
        Path dir = snapshotDir(repo, commit);
        Path manifest = dir.resolve(PulledSnapshot.MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return Optional.empty();
        }
        PulledSnapshot s;
        try {
            s = readManifest(manifest, dir);
        } catch (UserError e) {
            return Optional.empty();
        }
        if (!s.repo().equals(repo) || !s.commit().equals(commit)) {
            return Optional.empty();
        }
        for (PulledSnapshot.PulledFile f : s.files()) {
            Path p = dir.resolve(f.name());
            try {
                if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
                    return Optional.empty();
                }
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.of(s);
    }

    /** {@code pull.json} as written, fields in this order; {@link #readManifest} checks each on the way back. */
    private record Manifest(String format, String repo, String revision, String commit, String endpoint, String source,
            @JsonProperty("pulled_at") String pulledAt, @JsonInclude(JsonInclude.Include.NON_NULL) ManifestLicense license,
            @JsonInclude(JsonInclude.Include.NON_NULL) ManifestBackbone backbone, Map<String, ManifestFile> files) {}

    private record ManifestFile(long size, String sha256, boolean lfs) {}

    private record ManifestLicense(String id, String from) {}

    private record ManifestBackbone(String repo, String revision, String commit, String source) {}

    void writeManifest(PulledSnapshot s) throws IOException {
        Map<String, ManifestFile> files = new LinkedHashMap<>();
        for (PulledSnapshot.PulledFile f : s.files()) {
            files.put(f.name(), new ManifestFile(f.size(), f.sha256(), f.lfs()));
        }
        ManifestLicense license = s.license() == null ? null : new ManifestLicense(s.license().id(), s.license().from());
        ManifestBackbone backbone = s.backbone() == null ? null : new ManifestBackbone(s.backbone().repo().id(), s.backbone().revision(),
                s.backbone().commit(), s.backbone().source());
        Manifest manifest = new Manifest(FORMAT, s.repo().id(), s.revision(), s.commit(), s.endpoint(), s.source(),
                s.pulledAt().toString(), license, backbone, files);
        String text;
        try {
            text = StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        AtomicFiles.writeString(s.directory().resolve(PulledSnapshot.MANIFEST), text);
    }

    static PulledSnapshot readManifest(Path manifest, Path dir) {
        JsonNode root = StrictJson.read(manifest);
        String what = manifest.toString();
        if (!FORMAT.equals(root.path("format").asText(null))) {
            throw new UserError(what + ": not an Unmask pull manifest (format " + FORMAT + ")");
        }
        RepoId repo = RepoId.parse(text(root, "repo", what));
        String revision = Revisions.check(text(root, "revision", what));
        String commit = text(root, "commit", what);
        if (!Revisions.isCommit(commit)) {
            throw new UserError(what + ": \"commit\" is not a 40-hex commit");
        }
        JsonNode endpointNode = root.get("endpoint");
        String endpoint = endpointNode == null || endpointNode.isNull() ? null : endpointNode.asText();
        Instant pulledAt;
        try {
            pulledAt = Instant.parse(text(root, "pulled_at", what));
        } catch (DateTimeParseException e) {
            throw new UserError(what + ": \"pulled_at\" is not an ISO-8601 instant");
        }
        JsonNode filesNode = root.get("files");
        if (filesNode == null || !filesNode.isObject() || filesNode.isEmpty()) {
            throw new UserError(what + ": no \"files\"");
        }
        List<PulledSnapshot.PulledFile> files = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : filesNode.properties()) {
            String name = checkManifestName(e.getKey(), what);
            JsonNode f = e.getValue();
            long size = f.path("size").asLong(-1);
            String sha = f.path("sha256").asText("");
            if (size < 0 || !f.path("size").canConvertToLong() || !Hashing.isSha256(sha)) {
                throw new UserError(what + ": file \"" + name + "\" needs a size and a sha256");
            }
            files.add(new PulledSnapshot.PulledFile(name, size, sha, f.path("lfs").asBoolean(false)));
        }
        PulledSnapshot.License license = null;
        JsonNode l = root.get("license");
        if (l != null && !l.isNull()) {
            license = new PulledSnapshot.License(text(l, "id", what + " license"), text(l, "from", what + " license"));
        }
        PulledSnapshot.Backbone backbone = null;
        JsonNode b = root.get("backbone");
        if (b != null && !b.isNull()) {
            JsonNode c = b.get("commit");
            String bc = c == null || c.isNull() ? null : c.asText();
            if (bc != null && !Revisions.isCommit(bc)) {
                throw new UserError(what + ": \"backbone.commit\" is not a 40-hex commit");
            }
            backbone = new PulledSnapshot.Backbone(RepoId.parse(text(b, "repo", what + " backbone")),
                    Revisions.check(text(b, "revision", what + " backbone")), bc, text(b, "source", what + " backbone"));
        }
        return new PulledSnapshot(repo, revision, commit, endpoint, text(root, "source", what), pulledAt, dir, files, license, backbone);
    }

    /** A manifest's file names: plain, or one level under the backbone folder of a detector. */
    static String checkManifestName(String name, String what) {
        String prefix = PulledSnapshot.BACKBONE_DIR + "/";
        if (name.startsWith(prefix)) {
            checkFileName(name.substring(prefix.length()), what);
            return name;
        }
        return checkFileName(name, what);
    }

    /** File names come from the network or from JSON; they must not reach outside the snapshot. */
    static String checkFileName(String name, String what) {
        if (!PLAIN_FILE.matcher(name).matches() || name.contains("..")) {
            throw new UserError(what + ": \"" + name + "\" is not a plain file name");
        }
        return name;
    }

    private static String text(JsonNode root, String field, String what) {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual()) {
            throw new UserError(what + ": missing \"" + field + "\"");
        }
        return v.asText();
    }

    /**
     * Holds a lock on the repo's cache directory so two pulls of one repo (two shells, or two
     * threads) never append to the same partial file.
     */
    Lock lock(RepoId repo) {
        Path lockFile = repoDir(repo).resolve(".lock");
        try {
            Files.createDirectories(lockFile.getParent());
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new UserError("another unmask pull of " + repo + " is running (lock " + lockFile
                        + "); wait for it to finish");
            }
            return new Lock(ch);
        } catch (IOException e) {
            throw new UserError("cannot lock " + lockFile + ": " + StrictJson.oneLine(e.getMessage()));
        }
    }

    static final class Lock implements AutoCloseable {
        private final FileChannel channel;

        private Lock(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
