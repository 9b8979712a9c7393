package dev.unmask.api;

import java.nio.file.Path;

/**
 * How a detector is loaded.
 *
 * @param backbone   the backbone's folder when it is not where the detector was trained (its
 *                   SHA-256 must match the one the detector names); null: where it was trained
 * @param assumeCrop run a detector that does not declare how its training faces were cropped with
 *                   {@code unmask extract}'s defaults (BlazeFace, margin 1.3, 224 px, area resize)
 * @param preCropped the files to check are already face crops: no face detection (no face
 *                   detector is loaded), only the detector's resize and normalisation
 */
public record LoadOptions(Path backbone, boolean assumeCrop, boolean preCropped) {
    public static final LoadOptions DEFAULTS = new LoadOptions(null, false, false);

    public LoadOptions(Path backbone, boolean assumeCrop) {
        this(backbone, assumeCrop, false);
    }
}
