package dev.unmask.core.detector;

import dev.unmask.core.UserError;
import dev.unmask.core.io.DigestCache;
import dev.unmask.core.io.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which backbone bytes a detector or cache was built on: a name (the model folder's name, as a
 * registry name would be), where it was found, and the SHA-256 of its weights — the identity
 * that matters, since two folders of the same name can hold different weights.
 */
public record BackboneRef(String name, Path dir, String sha256) {

    /** Hashes the weights of a model directory: model.safetensors, or the index and its shards in order. */
    public static BackboneRef of(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        return new BackboneRef(abs.getFileName() == null ? abs.toString() : abs.getFileName().toString(), abs, weightsSha256(abs));
    }

    static String weightsSha256(Path dir) {
        DigestCache cache = new DigestCache(dev.unmask.core.hub.HubSettings.fromEnvironment().home().resolve("sha256"));
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return cache.sha256(single);
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) {
            throw new UserError(dir + ": no model.safetensors");
        }
        List<Path> shards;
        try (Stream<Path> s = Files.list(dir)) {
            shards = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list (" + e.getMessage() + ")");
        }
        StringBuilder sb = new StringBuilder(cache.sha256(index));
        for (Path p : shards) {
            sb.append('\n').append(p.getFileName()).append(' ').append(cache.sha256(p));
        }
        return Hashing.sha256(sb.toString());
    }
}
