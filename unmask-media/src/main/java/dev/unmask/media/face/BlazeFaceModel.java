package dev.unmask.media.face;

import dev.unmask.core.UserError;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.hub.HubSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * Where the BlazeFace full-range model lives and proof that it is the one we expect. The file is
 * fetched by {@code bin/setup-models} (npm package {@value #NPM_PACKAGE}) into the Unmask home;
 * it is never downloaded at run time, and a missing or altered file is an error rather than a
 * reason to fall back on another detector (crops would change under a trained detector).
 */
public final class BlazeFaceModel {
    public static final String NPM_PACKAGE = "@mediapipe/face_detection@0.4.1657300184";
    public static final String FILE_NAME = "face_detection_full_range.tflite";
    public static final String SHA256 = "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3";
    public static final String SETUP_COMMAND = "bin/setup-models";

    private static final Map<Path, Boolean> VERIFIED = new ConcurrentHashMap<>();

    private BlazeFaceModel() {}

    /** The default location: {@code $UNMASK_HOME/models/blazeface/face_detection_full_range.tflite}. */
    public static Path defaultPath() {
        return HubSettings.fromEnvironment().home().resolve("models").resolve("blazeface").resolve(FILE_NAME);
    }

    /** The verified model file, or a one-line error naming the set-up command. */
    public static Path locate() {
        return verify(defaultPath());
    }

    static Path verify(Path file) {
        if (VERIFIED.containsKey(file)) {
            return file;
        }
        if (!Files.isRegularFile(file)) {
            throw new UserError("the BlazeFace face detector model is not set up (" + file + " is missing); run "
                    + SETUP_COMMAND + " (fetches " + NPM_PACKAGE + " with npm), or choose --face-detector haar");
        }
        String actual = Hashing.sha256(file);
        if (!actual.equals(SHA256)) {
            throw new UserError(file + ": SHA-256 " + actual + " is not that of " + NPM_PACKAGE + "'s " + FILE_NAME
                    + "; delete it and run " + SETUP_COMMAND);
        }
        VERIFIED.put(file, Boolean.TRUE);
        return file;
    }
}
