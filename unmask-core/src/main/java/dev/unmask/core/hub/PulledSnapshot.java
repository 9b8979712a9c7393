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
 */
public record PulledSnapshot(RepoId repo, String revision, String commit, String endpoint, String source,
        Instant pulledAt, Path directory, List<PulledFile> files) {

    public static final String MANIFEST = "pull.json";

    /** @param lfs whether the Hub published a SHA-256 for it (LFS file) that was checked */
    public record PulledFile(String name, long size, String sha256, boolean lfs) {}

    public PulledSnapshot {
        files = List.copyOf(files);
    }

    public long totalBytes() {
        return files.stream().mapToLong(PulledFile::size).sum();
    }
}
