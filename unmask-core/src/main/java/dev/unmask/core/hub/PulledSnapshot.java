package dev.unmask.core.hub;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A model snapshot in Unmask's cache, as recorded in its {@code pull.json}: which commit of which
 * repo, and the size and SHA-256 of every file. A detector trained on a backbone can store
 * {@code repo@commit} and the hashes, so a later Hub update can never change the backbone unseen.
 *
 * @param revision the revision that was asked for when the snapshot was first pulled
 * @param endpoint the Hub it came from, or null when it was taken from the Hugging Face cache
 * @param source {@code hub} or {@code huggingface-cache}
 * @param license  the weights' licence and where it was read (a detector's model card), or null
 * @param backbone for a GenD detector: the backbone repo whose config files are in {@code backbone/}, else null
 */
public record PulledSnapshot(RepoId repo, String revision, String commit, String endpoint, String source,
        Instant pulledAt, Path directory, List<PulledFile> files, License license, Backbone backbone) {

    public static final String MANIFEST = "pull.json";
    /** The sub-folder of a GenD detector's snapshot that holds its backbone repo's config files. */
    public static final String BACKBONE_DIR = "backbone";

    /** @param lfs whether the Hub published a SHA-256 for it (LFS file) that was checked */
    public record PulledFile(String name, long size, String sha256, boolean lfs) {}

    /**
     * @param id   the licence as stated (e.g. {@code mit}), or {@code unknown}
     * @param from where it was read: {@code model card} (the repo's README.md front matter),
     *             {@code unmask registry}, or {@code nowhere}
     */
    public record License(String id, String from) {}

    /**
     * The backbone repo a detector's config names, and where the copies of its config files came from.
     *
     * @param commit the commit they were read at, or null when they came with Unmask
     * @param source {@code hub}, or {@code unmask} (shipped copies, used when the Hub denied access)
     */
    public record Backbone(RepoId repo, String revision, String commit, String source) {}

    public PulledSnapshot {
        files = List.copyOf(files);
    }

    public PulledSnapshot(RepoId repo, String revision, String commit, String endpoint, String source, Instant pulledAt, Path directory,
            List<PulledFile> files) {
        this(repo, revision, commit, endpoint, source, pulledAt, directory, files, null, null);
    }

    /**
     * The snapshot a model folder holds, from its {@code pull.json} (unchecked against the cache:
     * a copied folder keeps it); empty when the folder has none.
     */
    public static java.util.Optional<PulledSnapshot> readFrom(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        if (!java.nio.file.Files.isRegularFile(manifest)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(ModelCache.readManifest(manifest, dir));
    }

    public long totalBytes() {
        return files.stream().mapToLong(PulledFile::size).sum();
    }
}
