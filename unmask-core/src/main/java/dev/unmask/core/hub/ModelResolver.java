package dev.unmask.core.hub;

import dev.unmask.core.UserError;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns what a user names as a model into a local model directory, never touching the network:
 * an existing directory is used as is; a backbone name or {@code OWNER/NAME[@REVISION]} must have
 * been pulled already ({@code unmask pull}), and resolves to that snapshot.
 */
public final class ModelResolver {
    private final HubSettings settings;
    private final BackboneRegistry registry;
    private final ModelCache cache;

    public ModelResolver(HubSettings settings, BackboneRegistry registry) {
        this.settings = settings;
        this.registry = registry;
        this.cache = new ModelCache(settings.modelsDir());
    }

    /** {@link #locate} with settings from the environment and the built-in registry. */
    public static Path resolve(String nameOrPath) {
        return new ModelResolver(HubSettings.fromEnvironment(), BackboneRegistry.builtIn()).locate(nameOrPath);
    }

    /** The model directory for a path, backbone name or {@code OWNER/NAME[@REVISION]}. */
    public Path locate(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new UserError("no model given (expected a directory, a backbone name or OWNER/NAME)");
        }
        Optional<Path> dir = existingDirectory(nameOrPath);
        if (dir.isPresent()) {
            return dir.get();
        }
        if (looksLikePath(nameOrPath)) {
            throw new UserError("no such model directory: " + nameOrPath);
        }
        return snapshot(nameOrPath).directory();
    }

    /**
     * The pulled snapshot a backbone name or {@code OWNER/NAME[@REVISION]} refers to, with its
     * commit and file hashes (for provenance). Not pulled yet is a {@link UserError} that says
     * which {@code unmask pull} command fixes it.
     */
    public PulledSnapshot snapshot(String nameOrRepo) {
        ModelRef ref = ModelRef.parse(nameOrRepo, null, registry);
        Optional<PulledSnapshot> s = cache.commitFor(ref.repo(), ref.revision()).flatMap(c -> cache.complete(ref.repo(), c));
        return s.orElseThrow(() -> new UserError(ref.display() + " is not in the model cache (" + settings.modelsDir()
                + "); run: " + ref.pullCommand()));
    }

    private static Optional<Path> existingDirectory(String text) {
        try {
            Path p = Path.of(text);
            if (Files.isDirectory(p)) {
                return Optional.of(p.toAbsolutePath().normalize());
            }
            if (Files.exists(p)) {
                throw new UserError("expected a model directory (config.json + safetensors weights), got a file: " + text);
            }
            return Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** Names never start like paths or hold more than one '/', so such text was meant as a directory. */
    private static boolean looksLikePath(String text) {
        // A revision may hold slashes (refs/pr/3); only the name before '@' tells.
        int at = text.indexOf('@');
        if (at > 0) {
            text = text.substring(0, at);
        }
        return text.startsWith("/") || text.startsWith(".") || text.startsWith("~") || text.contains("\\")
                || text.endsWith("/") || text.indexOf('/') != text.lastIndexOf('/') || text.endsWith(".safetensors");
    }
}
