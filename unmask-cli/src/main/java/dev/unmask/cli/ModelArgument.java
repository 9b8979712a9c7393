package dev.unmask.cli;

import dev.unmask.core.UserError;
import dev.unmask.core.hub.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns a --backbone value (a directory, a registry name or OWNER/REPO already pulled) into a model directory. */
final class ModelArgument {
    private ModelArgument() {}

    static Path resolve(String value) {
        Path p = Path.of(value);
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new UserError(value + ": not a model directory (pass the folder holding config.json and model.safetensors)");
        }
        return ModelResolver.resolve(value);
    }
}
