package dev.unmask.api;

import dev.unmask.core.UserError;
import dev.unmask.core.hub.BackboneRegistry;
import dev.unmask.core.hub.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;

/** Backbones and detectors as users name them: a model folder, a registry short name, or OWNER/REPO already pulled. */
public final class Models {
    private Models() {}

    /** The model folder {@code value} names; a file, or a name not pulled yet, is refused in one line. */
    public static Path resolve(String value) {
        Path p = Path.of(value);
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new UserError(value + ": not a model directory (pass the folder holding config.json and model.safetensors)");
        }
        return ModelResolver.resolve(value);
    }

    /**
     * What {@code --detector} names: a detector file or folder that exists, as is; otherwise a
     * published detector's registry name (e.g. {@code gend_clip_l14}) or {@code OWNER/REPO[@REVISION]}
     * already pulled, as its folder in the model cache. A name not pulled yet is refused in one line
     * that gives the {@code unmask pull} command; a path that does not exist is left to the loader to refuse.
     */
    public static Path resolveDetector(String value) {
        if (value == null || value.isBlank()) {
            throw new UserError("no detector given (a NAME.unmask file, a GenD detector folder, or a pulled detector's name)");
        }
        Path p;
        try {
            p = Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UserError("'" + value + "' is not a valid file name here (" + e.getReason() + ")");
        }
        if (Files.exists(p) || value.endsWith(".unmask") || !looksLikeModelName(value)) {
            return p;
        }
        String name = value.contains("@") ? value.substring(0, value.indexOf('@')) : value;
        if (!name.contains("/") && BackboneRegistry.builtIn().detectors().stream().noneMatch(d -> d.name().equals(name))) {
            // Not a published detector's name: a file that is not there, which the loader says plainly.
            return p;
        }
        try {
            return ModelResolver.resolve(value);
        } catch (UserError e) {
            throw new UserError("no detector file or folder " + value + ", and " + e.getMessage(), e);
        }
    }

    /** A registry name or OWNER/REPO[@REVISION]: no path separators beyond the one, no leading dot or slash. */
    private static boolean looksLikeModelName(String value) {
        String name = value.contains("@") ? value.substring(0, value.indexOf('@')) : value;
        return name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?");
    }
}
