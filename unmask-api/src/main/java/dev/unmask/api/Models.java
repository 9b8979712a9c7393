package dev.unmask.api;

import dev.unmask.core.UserError;
import dev.unmask.core.hub.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;

/** Backbones as users name them: a model folder, a registry short name, or OWNER/REPO already pulled. */
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
}
