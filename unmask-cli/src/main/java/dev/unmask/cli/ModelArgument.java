package dev.unmask.cli;

import dev.unmask.api.Models;
import java.nio.file.Path;

/** Turns a --backbone value (a directory, a registry name or OWNER/REPO already pulled) into a model directory. */
final class ModelArgument {
    private ModelArgument() {}

    static Path resolve(String value) {
        return Models.resolve(value);
    }
}
