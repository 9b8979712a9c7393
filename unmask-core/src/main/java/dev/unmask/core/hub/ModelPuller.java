package dev.unmask.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.ByteSizes;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Brings a model snapshot ({@code config.json} + safetensors weights) into Unmask's cache, from
 * the first place that has it: Unmask's cache, the Hugging Face cache (both without any network
 * request), or the Hub. Every file is verified before it gets its final name; the snapshot's
 * {@code pull.json} records the commit and every file's SHA-256.
 */
public final class ModelPuller {
    /** Files of unknown size (no Content-Length) are small JSON; anything bigger is a broken server. */
    private static final long MAX_UNKNOWN_SIZE = 64L << 20;
    private static final String SOURCE_HUB = "hub";
    private static final String SOURCE_HF_CACHE = "huggingface-cache";
    /** GenD detectors (Yermakov et al., github yermandy/GenD) name their backbone repo in their config. */
    private static final String GEND_MODEL_TYPE = "GenD";
    static final String MODEL_CARD = "README.md";
    public static final String BACKBONE_FROM_HUB = "hub";
    public static final String BACKBONE_SHIPPED = "unmask";
    public static final String LICENSE_UNKNOWN = "unknown";
    public static final String LICENSE_FROM_CARD = "model card";
    public static final String LICENSE_FROM_REGISTRY = "unmask registry";
    public static final String LICENSE_FROM_NOWHERE = "nowhere";

    private final HubSettings settings;
    private final PullListener listener;
    private final ModelCache cache;
    private final HuggingFaceCache huggingFaceCache;
    private final HubClient client;

    public ModelPuller(HubSettings settings, PullListener listener) {
        this.settings = settings;
        this.listener = listener;
        this.cache = new ModelCache(settings.modelsDir());
        this.huggingFaceCache = new HuggingFaceCache(settings.huggingFaceCache());
        this.client = new HubClient(settings);
    }

    /**
     * Pulls {@code ref}. Unless {@code update} is set, a revision already resolved in either cache
     * is used without asking the Hub; with {@code update}, the Hub is asked which commit the
     * revision names now (a moved branch brings a new snapshot; the old one stays).
     */
    @SuppressWarnings("try") // the lock is held for its scope, not used
    public PullResult pull(ModelRef ref, boolean update) {
        try (ModelCache.Lock lock = cache.lock(ref.repo())) {
            if (!update) {
                Optional<PullResult> local = fromCaches(ref);
                if (local.isPresent()) {
                    return local.get();
                }
            }
            return fromHub(ref);
        } catch (IOException e) {
            throw new UserError("cannot write the model cache under " + settings.modelsDir() + ": "
                    + StrictJson.oneLine(e.getMessage()), e);
        }
    }

    private Optional<PullResult> fromCaches(ModelRef ref) throws IOException {
        Optional<String> commit = cache.commitFor(ref.repo(), ref.revision());
        if (commit.isPresent()) {
            Optional<PulledSnapshot> done = cache.complete(ref.repo(), commit.get());
            if (done.isPresent()) {
                return Optional.of(new PullResult(done.get(), PullResult.Origin.ALREADY_PULLED, 0));
            }
        }
        Optional<String> hfCommit = huggingFaceCache.commitFor(ref.repo(), ref.revision());
        if (hfCommit.isPresent()) {
            return fromHuggingFaceCache(ref, hfCommit.get());
        }
        return Optional.empty();
    }

    private PullResult fromHub(ModelRef ref) throws IOException {
        RepoId repo = ref.repo();
        HubClient.FileMetadata config = client.head(repo, ref.revision(), WeightFiles.CONFIG)
                .orElseThrow(() -> new UserError("no such repo or file on the Hub: " + ref.display()
                        + " has no " + WeightFiles.CONFIG + " (HTTP 404); check the name and revision"));
        String commit = config.commit();
        if (commit == null) {
            if (!Revisions.isCommit(ref.revision())) {
                throw new UserError("the Hub at " + settings.endpoint() + " did not say which commit " + ref.display()
                        + " is (no X-Repo-Commit header); is HF_ENDPOINT a Hugging Face Hub?");
            }
            commit = ref.revision();
        }
        if (Revisions.isCommit(ref.revision()) && !commit.equals(ref.revision())) {
            throw new UserError("the Hub answered with commit " + commit + " for " + ref.display());
        }
        Optional<PulledSnapshot> done = cache.complete(repo, commit);
        if (done.isPresent()) {
            cache.writeRef(repo, ref.revision(), commit);
            return new PullResult(done.get(), PullResult.Origin.ALREADY_PULLED, 0);
        }
        Optional<PullResult> fromHf = fromHuggingFaceCache(ref, commit);
        if (fromHf.isPresent()) {
            return fromHf.get();
        }

        String pinned = commit;
        Path dir = cache.snapshotDir(repo, commit);
        List<PulledSnapshot.PulledFile> files = new ArrayList<>();
        long[] downloaded = {0};
        // The config first: a detector's tells what else it needs, and a variant Unmask cannot run is
        // refused before its weights are downloaded.
        Files.createDirectories(dir);
        files.add(fetch(repo, commit, config, dir, downloaded));
        Optional<RepoId> genDBackbone = genDBackbone(repo, dir);
        Optional<HubClient.FileMetadata> preprocessor = headPinned(repo, commit, WeightFiles.PREPROCESSOR);
        if (preprocessor.isPresent()) {
            files.add(fetch(repo, commit, preprocessor.get(), dir, downloaded));
        }
        GenDExtras genD = null;
        if (genDBackbone.isPresent()) {
            Optional<HubClient.FileMetadata> card = headPinned(repo, commit, MODEL_CARD);
            if (card.isPresent()) {
                files.add(fetch(repo, commit, card.get(), dir, downloaded));
            }
            genD = genDExtras(repo, genDBackbone.get(), dir, downloaded);
            files.addAll(genD.files());
        }
        Optional<HubClient.FileMetadata> single = headPinned(repo, commit, WeightFiles.SINGLE);
        if (single.isPresent()) {
            checkDiskSpace(repo, dir, List.of(single.get()));
            files.add(fetch(repo, commit, single.get(), dir, downloaded));
        } else {
            HubClient.FileMetadata index = headPinned(repo, commit, WeightFiles.INDEX)
                    .orElseThrow(() -> noSafetensors(ref, pinned));
            files.add(fetch(repo, commit, index, dir, downloaded));
            Path indexFile = dir.resolve(WeightFiles.INDEX);
            List<String> shardNames = WeightFiles.shards(Files.readAllBytes(indexFile), ref.display() + " " + WeightFiles.INDEX);
            List<HubClient.FileMetadata> shards = new ArrayList<>();
            for (String name : shardNames) {
                shards.add(headPinned(repo, commit, name).orElseThrow(() -> new UserError(ref.display() + ": "
                        + WeightFiles.INDEX + " names " + name + ", which is not in the repo")));
            }
            checkDiskSpace(repo, dir, shards);
            for (HubClient.FileMetadata shard : shards) {
                files.add(fetch(repo, commit, shard, dir, downloaded));
            }
        }
        PulledSnapshot snapshot = new PulledSnapshot(repo, ref.revision(), commit, settings.endpoint().toString(),
                SOURCE_HUB, Instant.now(), dir, files, genD == null ? null : genD.license(), genD == null ? null : genD.backbone());
        cache.writeManifest(snapshot);
        cache.writeRef(repo, ref.revision(), commit);
        return new PullResult(snapshot, PullResult.Origin.HUB, downloaded[0]);
    }

    /** What a GenD detector's snapshot holds beyond its own repo's files: its backbone's configs, and what is known of its licence. */
    private record GenDExtras(List<PulledSnapshot.PulledFile> files, PulledSnapshot.License license, PulledSnapshot.Backbone backbone) {}

    /**
     * The backbone repo a GenD detector's {@code config.json} (already in {@code dir}) names; empty
     * for any other model. A backbone that is not a Hub repo (GenD's Perception Encoder variant
     * names a timm model) is refused in one line.
     */
    private Optional<RepoId> genDBackbone(RepoId repo, Path dir) {
        JsonNode config;
        try {
            config = StrictJson.read(dir.resolve(WeightFiles.CONFIG));
        } catch (UserError e) {
            // Not JSON this reader accepts: surely no GenD config; the model's loader will say what is wrong with it.
            return Optional.empty();
        }
        if (!GEND_MODEL_TYPE.equals(config.path("model_type").asText(""))) {
            return Optional.empty();
        }
        String backbone = config.path("backbone").asText("");
        try {
            return Optional.of(RepoId.parse(backbone));
        } catch (UserError e) {
            throw new UserError(repo + ": its GenD config names the backbone \"" + StrictJson.oneLine(backbone) + "\", which is not a Hub repo;"
                    + " Unmask runs GenD's CLIP and DINOv3 variants (gend_clip_l14, gend_dinov3_l16), not the Perception Encoder one");
        }
    }

    /**
     * Brings a GenD detector's backbone configs into {@code dir/backbone/}: the backbone repo's
     * {@code config.json} and, where it has one, {@code preprocessor_config.json}, both at the
     * commit the Hub names for its main branch (recorded). Where the Hub denies access (the
     * DINOv3 repos are gated), the copies Unmask ships for that repo are used, and the manifest
     * says so. The licence is read from the detector's model card (README.md front matter), else
     * from the registry.
     */
    private GenDExtras genDExtras(RepoId repo, RepoId backbone, Path dir, long[] downloaded) throws IOException {
        List<PulledSnapshot.PulledFile> files = new ArrayList<>();
        Path target = dir.resolve(PulledSnapshot.BACKBONE_DIR);
        Files.createDirectories(target);
        PulledSnapshot.Backbone from;
        try (ModelCache.Lock lock = cache.lock(backbone)) {
            Optional<HubClient.FileMetadata> config = client.head(backbone, Revisions.DEFAULT, WeightFiles.CONFIG);
            if (config.isEmpty()) {
                throw new UserError(repo + ": its GenD config names the backbone " + backbone + ", which has no " + WeightFiles.CONFIG + " on the Hub");
            }
            String commit = config.get().commit();
            if (commit == null) {
                throw new UserError("the Hub at " + settings.endpoint() + " did not say which commit " + backbone + " is (no X-Repo-Commit header)");
            }
            files.add(inBackboneDir(fetch(backbone, commit, config.get(), target, downloaded)));
            Optional<HubClient.FileMetadata> pre = headPinned(backbone, commit, WeightFiles.PREPROCESSOR);
            if (pre.isPresent()) {
                files.add(inBackboneDir(fetch(backbone, commit, pre.get(), target, downloaded)));
            }
            from = new PulledSnapshot.Backbone(backbone, Revisions.DEFAULT, commit, BACKBONE_FROM_HUB);
        } catch (HubClient.AccessDenied denied) {
            Map<String, byte[]> shipped = BackboneRegistry.shippedBackboneConfigs(backbone);
            if (shipped.isEmpty()) {
                throw new UserError(repo + " needs the config of its backbone " + backbone + ", and " + denied.getMessage(), denied);
            }
            for (Map.Entry<String, byte[]> f : shipped.entrySet()) {
                byte[] bytes = f.getValue();
                AtomicFiles.write(target.resolve(f.getKey()), out -> out.write(bytes));
                files.add(new PulledSnapshot.PulledFile(PulledSnapshot.BACKBONE_DIR + "/" + f.getKey(), bytes.length,
                        Hashing.sha256(bytes), false));
            }
            listener.note("the Hub denied access to the backbone repo " + backbone + " (HTTP " + denied.status() + "); using the copies of its "
                    + String.join(" and ", shipped.keySet()) + " that come with Unmask");
            from = new PulledSnapshot.Backbone(backbone, Revisions.DEFAULT, null, BACKBONE_SHIPPED);
        }
        return new GenDExtras(files, license(repo, dir), from);
    }

    private static PulledSnapshot.PulledFile inBackboneDir(PulledSnapshot.PulledFile f) {
        return new PulledSnapshot.PulledFile(PulledSnapshot.BACKBONE_DIR + "/" + f.name(), f.size(), f.sha256(), f.lfs());
    }

    /** The licence a model card's front matter states ({@code license:}), else the registry's, else unknown. */
    private static PulledSnapshot.License license(RepoId repo, Path dir) throws IOException {
        Path card = dir.resolve(MODEL_CARD);
        if (Files.isRegularFile(card) && Files.size(card) < (1 << 20)) {
            Optional<String> stated = ModelCards.license(Files.readString(card, java.nio.charset.StandardCharsets.UTF_8));
            if (stated.isPresent()) {
                return new PulledSnapshot.License(stated.get(), LICENSE_FROM_CARD);
            }
        }
        Optional<String> registered = BackboneRegistry.builtIn().detectorFor(repo).map(BackboneRegistry.DetectorEntry::license);
        return registered.map(l -> new PulledSnapshot.License(l, LICENSE_FROM_REGISTRY))
                .orElse(new PulledSnapshot.License(LICENSE_UNKNOWN, LICENSE_FROM_NOWHERE));
    }

    /** HEAD at the commit, so a push during the pull cannot mix two versions of the repo. */
    private Optional<HubClient.FileMetadata> headPinned(RepoId repo, String commit, String file) {
        Optional<HubClient.FileMetadata> meta = client.head(repo, commit, file);
        if (meta.isPresent() && meta.get().commit() != null && !meta.get().commit().equals(commit)) {
            throw new UserError("the Hub answered for commit " + meta.get().commit() + " when asked for " + file
                    + " at commit " + commit + " of " + repo);
        }
        return meta;
    }

    private UserError noSafetensors(ModelRef ref, String commit) {
        for (String pickle : WeightFiles.PICKLES) {
            if (headPinned(ref.repo(), commit, pickle).isPresent()) {
                return new UserError(ref.display() + " has only pickle weights (" + pickle + "), which Unmask never "
                        + "downloads or loads because unpickling runs code; use a safetensors revision if the repo has one "
                        + "(look for a safetensors conversion pull request on its Hub page, then --revision refs/pr/N), or "
                        + "convert it yourself in a sandbox with the safetensors library (torch.load(..., weights_only=True), "
                        + "then safetensors.torch.save_file) and pass the resulting directory");
            }
        }
        return new UserError(ref.display() + " has no " + WeightFiles.SINGLE + " or " + WeightFiles.INDEX
                + "; Unmask needs safetensors weights");
    }

    private void checkDiskSpace(RepoId repo, Path dir, List<HubClient.FileMetadata> files) throws IOException {
        long needed = 0;
        for (HubClient.FileMetadata f : files) {
            if (f.size() > 0 && !Files.isRegularFile(dir.resolve(f.file()))) {
                Path partial = cache.partialFile(repo, partialKey(f, dir.getFileName().toString()));
                needed += f.size() - (Files.isRegularFile(partial) ? Math.min(f.size(), Files.size(partial)) : 0);
            }
        }
        Path existing = cache.repoDir(repo);
        long free = Files.getFileStore(existing).getUsableSpace();
        if (needed > free) {
            throw new UserError("not enough disk space for " + repo + " under " + existing + ": needs "
                    + ByteSizes.format(needed) + ", " + ByteSizes.format(free) + " free; free some space or set UNMASK_HOME");
        }
    }

    /** Partial downloads are named by content, so a partial file can never be resumed with another version's bytes. */
    private static String partialKey(HubClient.FileMetadata f, String commit) {
        if (f.sha256() != null) {
            return f.sha256();
        }
        if (f.gitOid() != null) {
            return "git-" + f.gitOid();
        }
        return commit + "-" + f.file();
    }

    private PulledSnapshot.PulledFile fetch(RepoId repo, String commit, HubClient.FileMetadata meta, Path dir,
            long[] downloaded) throws IOException {
        String file = ModelCache.checkFileName(meta.file(), repo + "@" + commit);
        Path target = dir.resolve(file);
        if (Files.isRegularFile(target)) {
            // Left by an earlier pull that stopped before its manifest; files get their final name
            // only after verification, but check again rather than trust the disk.
            Optional<PulledSnapshot.PulledFile> kept = verifyExisting(target, meta);
            if (kept.isPresent()) {
                listener.finished(file, kept.get(), "already there");
                return kept.get();
            }
            Files.delete(target);
        }
        Path partial = cache.partialFile(repo, partialKey(meta, commit));
        Files.createDirectories(partial.getParent());
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(partial);
            have = 0;
        }
        MessageDigest sha = Hashing.sha256();
        if (have > 0) {
            long partialSize = have;
            listener.started(file, PullListener.Activity.VERIFYING, partialSize, 0);
            Hashing.update(partial, done -> listener.progress(file, done, partialSize), sha);
        }
        long resumedFrom = have;
        long size = have;
        if (meta.size() < 0 || have < meta.size()) {
            Transfer t = download(repo, commit, meta, partial, have, sha, downloaded);
            resumedFrom = t.startedAt();
            size = t.size();
        }
        if (meta.size() >= 0 && size != meta.size()) {
            Files.deleteIfExists(partial);
            throw new UserError(file + " of " + repo + "@" + commit + ": got " + size + " bytes, the Hub published "
                    + meta.size() + "; the download was deleted, run the command again");
        }
        String actual = Hashing.hex(sha);
        if (meta.sha256() != null && !meta.sha256().equals(actual)) {
            Files.deleteIfExists(partial);
            throw new UserError("checksum mismatch for " + file + " of " + repo + "@" + commit + ": the Hub published sha256 "
                    + meta.sha256() + ", the downloaded bytes have " + actual + "; the download was deleted, run the "
                    + "command again (if it repeats, the Hub or a proxy is serving corrupt data)");
        }
        if (meta.gitOid() != null) {
            MessageDigest git = Hashing.gitBlob(size);
            Hashing.update(partial, done -> { }, git);
            String oid = Hashing.hex(git);
            if (!meta.gitOid().equals(oid)) {
                Files.deleteIfExists(partial);
                throw new UserError("checksum mismatch for " + file + " of " + repo + "@" + commit + ": the Hub published "
                        + "git blob " + meta.gitOid() + ", the downloaded bytes are " + oid + "; the download was deleted, "
                        + "run the command again");
            }
        }
        if (meta.sha256() == null && meta.gitOid() == null) {
            listener.note("the Hub published no checksum for " + file + "; recorded the SHA-256 of what arrived");
        }
        Files.createDirectories(dir);
        AtomicFiles.moveIntoPlace(partial, target);
        PulledSnapshot.PulledFile result = new PulledSnapshot.PulledFile(file, size, actual, meta.lfs());
        listener.finished(file, result, resumedFrom > 0 ? "resumed at " + ByteSizes.format(resumedFrom) : "downloaded");
        return result;
    }

    /**
     * Appends the rest of the file to {@code partial}, feeding {@code sha} (which already holds
     * the first {@code have} bytes). A dropped connection leaves the partial file for the next run
     * to resume.
     */
    private Transfer download(RepoId repo, String commit, HubClient.FileMetadata meta, Path partial, long have,
            MessageDigest sha, long[] downloaded) throws IOException {
        String file = meta.file();
        HubClient.Body opened;
        try {
            opened = client.get(repo, commit, file, have);
        } catch (HubClient.RangeNotSatisfiable e) {
            listener.note(file + ": the server refused to resume; starting over");
            Files.delete(partial);
            sha.reset();
            have = 0;
            try {
                opened = client.get(repo, commit, file, 0);
            } catch (HubClient.RangeNotSatisfiable again) {
                throw new UserError("the server refused to send " + file + " of " + repo + " (HTTP 416)");
            }
        }
        boolean oversized = false;
        long limit;
        try (HubClient.Body body = opened; FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (body.offset() != have) {
                // The server ignored Range and sends everything: start over with it.
                sha.reset();
                have = 0;
            }
            out.truncate(have);
            out.position(have);
            long total = meta.size() >= 0 ? meta.size() : body.total();
            if (meta.size() >= 0 && body.total() >= 0 && body.total() != meta.size()) {
                throw new UserError("the download server announced " + body.total() + " bytes for " + file + " of " + repo
                        + ", the Hub published " + meta.size() + "; run the command again");
            }
            limit = total >= 0 ? total : MAX_UNKNOWN_SIZE;
            listener.started(file, PullListener.Activity.DOWNLOADING, total, have);
            long done = have;
            byte[] buffer = new byte[1 << 16];
            InputStream in = body.body();
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    if (done + n > limit) {
                        oversized = true;
                        break;
                    }
                    sha.update(buffer, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                    done += n;
                    downloaded[0] += n;
                    listener.progress(file, done, total);
                }
            } catch (IOException e) {
                out.force(false);
                throw interrupted(file, repo, done, total, StrictJson.oneLine(e.getMessage()), e);
            }
            if (!oversized) {
                out.force(true);
                if (total >= 0 && done < total) {
                    throw interrupted(file, repo, done, total, "connection closed early", null);
                }
                return new Transfer(have, done);
            }
        }
        Files.deleteIfExists(partial);
        throw new UserError("the download server sent more than " + limit + " bytes for " + file + " of " + repo
                + "; the download was deleted");
    }

    /** Where a transfer started (0 unless resumed) and the file's final length. */
    private record Transfer(long startedAt, long size) {}

    private static UserError interrupted(String file, RepoId repo, long done, long total, String reason, Throwable cause) {
        return new UserError("download of " + file + " of " + repo + " stopped at " + ByteSizes.format(done) + " of "
                + ByteSizes.format(total) + " (" + reason + "); run the same command again to resume", cause);
    }

    /** A file already under its final name, kept only if it matches what the Hub publishes. */
    private Optional<PulledSnapshot.PulledFile> verifyExisting(Path target, HubClient.FileMetadata meta) throws IOException {
        long size = Files.size(target);
        if (meta.size() >= 0 && size != meta.size()) {
            return Optional.empty();
        }
        MessageDigest sha = Hashing.sha256();
        MessageDigest git = Hashing.gitBlob(size);
        listener.started(meta.file(), PullListener.Activity.VERIFYING, size, 0);
        Hashing.update(target, done -> listener.progress(meta.file(), done, size), sha, git);
        String actual = Hashing.hex(sha);
        if ((meta.sha256() != null && !meta.sha256().equals(actual))
                || (meta.gitOid() != null && !meta.gitOid().equals(Hashing.hex(git)))) {
            return Optional.empty();
        }
        return Optional.of(new PulledSnapshot.PulledFile(meta.file(), size, actual, meta.lfs()));
    }

    /**
     * Takes a complete snapshot from the Hugging Face cache: each file is hard-linked (copied when
     * linking is impossible) under a temporary name, hashed, checked against the blob name
     * (the cache names LFS blobs by SHA-256 and small files by git blob id), then renamed into place.
     */
    private Optional<PullResult> fromHuggingFaceCache(ModelRef ref, String commit) throws IOException {
        RepoId repo = ref.repo();
        Optional<List<String>> names = huggingFaceCache.completeFiles(repo, commit);
        if (names.isEmpty()) {
            return Optional.empty();
        }
        Path source = huggingFaceCache.snapshotDir(repo, commit);
        Path dir = cache.snapshotDir(repo, commit);
        Files.createDirectories(dir);
        List<PulledSnapshot.PulledFile> files = new ArrayList<>();
        for (String name : names.get()) {
            Optional<PulledSnapshot.PulledFile> f = importFile(source.resolve(name), dir, name);
            if (f.isEmpty()) {
                listener.note(name + " in the Hugging Face cache (" + source + ") does not match its checksum; not using it");
                return Optional.empty();
            }
            files.add(f.get());
        }
        GenDExtras genD = null;
        Optional<RepoId> genDBackbone = genDBackbone(repo, dir);
        if (genDBackbone.isPresent()) {
            // A detector's model card states its licence: take it along where the cache has it.
            if (Files.isRegularFile(source.resolve(MODEL_CARD))) {
                Optional<PulledSnapshot.PulledFile> card = importFile(source.resolve(MODEL_CARD), dir, MODEL_CARD);
                if (card.isEmpty()) {
                    listener.note(MODEL_CARD + " in the Hugging Face cache (" + source + ") does not match its checksum; not using it");
                    return Optional.empty();
                }
                files.add(card.get());
            }
            genD = genDExtras(repo, genDBackbone.get(), dir, new long[1]);
            files.addAll(genD.files());
        }
        PulledSnapshot snapshot = new PulledSnapshot(repo, ref.revision(), commit, null, SOURCE_HF_CACHE,
                Instant.now(), dir, files, genD == null ? null : genD.license(), genD == null ? null : genD.backbone());
        cache.writeManifest(snapshot);
        cache.writeRef(repo, ref.revision(), commit);
        return Optional.of(new PullResult(snapshot, PullResult.Origin.HUGGING_FACE_CACHE, 0));
    }

    private Optional<PulledSnapshot.PulledFile> importFile(Path link, Path dir, String name) throws IOException {
        Path real = link.toRealPath();
        Path tmp = dir.resolve("." + name + ".import");
        Files.deleteIfExists(tmp);
        String how;
        try {
            Files.createLink(tmp, real);
            how = "linked from the Hugging Face cache";
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(real, tmp, StandardCopyOption.REPLACE_EXISTING);
            how = "copied from the Hugging Face cache";
        }
        try {
            long size = Files.size(tmp);
            MessageDigest sha = Hashing.sha256();
            MessageDigest git = Hashing.gitBlob(size);
            listener.started(name, PullListener.Activity.VERIFYING, size, 0);
            Hashing.update(tmp, done -> listener.progress(name, done, size), sha, git);
            String actual = Hashing.hex(sha);
            String blobName = real.getFileName().toString();
            boolean inBlobs = real.getParent() != null && real.getParent().getFileName() != null
                    && real.getParent().getFileName().toString().equals("blobs");
            boolean lfs = inBlobs && Hashing.isSha256(blobName);
            if ((lfs && !blobName.equals(actual)) || (inBlobs && Hashing.isGitOid(blobName) && !blobName.equals(Hashing.hex(git)))) {
                return Optional.empty();
            }
            AtomicFiles.moveIntoPlace(tmp, dir.resolve(name));
            PulledSnapshot.PulledFile result = new PulledSnapshot.PulledFile(name, size, actual, lfs);
            listener.finished(name, result, how);
            return Optional.of(result);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
