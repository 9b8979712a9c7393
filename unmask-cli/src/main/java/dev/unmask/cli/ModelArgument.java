package dev.unmask.cli;

import dev.unmask.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns a --model value (a directory, or a name already pulled) into a model directory. */
final class ModelArgument {
    private ModelArgument() {}

    static Path resolve(String value) {
        Path p = Path.of(value);
        if (Files.isDirectory(p)) {
            return p;
        }
        if (Files.exists(p)) {
            throw new UserError(value + ": not a model directory (pass the folder holding config.json and model.safetensors)");
        }
        throw new UserError(value + ": no such model directory or pulled model (run `unmask pull " + value + "` first)");
    }
}
