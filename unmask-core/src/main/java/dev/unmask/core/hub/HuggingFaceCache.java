package dev.unmask.core.hub;

import dev.unmask.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Read-only view of the Hugging Face hub cache ({@code models--OWNER--NAME/refs/REV},
 * {@code snapshots/COMMIT/FILE}, files usually symlinks into {@code blobs/}). Users often have the
 * backbones there already; taking them from it saves gigabytes of downloads.
 */
final class HuggingFaceCache {
    private final Path root;

    HuggingFaceCache(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Optional<String> commitFor(RepoId repo, String revision) {
        return ModelCache.readRef(root.resolve(repo.huggingFaceCacheDirName()).resolve("refs"), revision);
    }

    /**
     * The files of a complete safetensors snapshot, config first, or empty if something is missing
     * (a dangling blob link counts as missing) or the snapshot holds only pickle weights.
     */
    Optional<List<String>> completeFiles(RepoId repo, String commit) {
        Path dir = snapshotDir(repo, commit);
        if (!Files.isRegularFile(dir.resolve(WeightFiles.CONFIG))) {
            return Optional.empty();
        }
        List<String> files = new ArrayList<>();
        files.add(WeightFiles.CONFIG);
        if (Files.isRegularFile(dir.resolve(WeightFiles.PREPROCESSOR))) {
            files.add(WeightFiles.PREPROCESSOR);
        }
        if (Files.isRegularFile(dir.resolve(WeightFiles.SINGLE))) {
            files.add(WeightFiles.SINGLE);
            return Optional.of(files);
        }
        Path index = dir.resolve(WeightFiles.INDEX);
        if (!Files.isRegularFile(index)) {
            return Optional.empty();
        }
        try {
            if (Files.size(index) > 64L << 20) {
                return Optional.empty();
            }
            List<String> shards = WeightFiles.shards(Files.readAllBytes(index), index.toString());
            for (String shard : shards) {
                if (!Files.isRegularFile(dir.resolve(shard))) {
                    return Optional.empty();
                }
            }
            files.add(WeightFiles.INDEX);
            files.addAll(shards);
            return Optional.of(files);
        } catch (IOException | UserError e) {
            return Optional.empty();
        }
    }

    Path snapshotDir(RepoId repo, String commit) {
        return root.resolve(repo.huggingFaceCacheDirName()).resolve("snapshots").resolve(commit);
    }
}
