package dev.unmask.media.face;

import dev.unmask.core.UserError;
import java.util.Locale;

/** The face detectors Unmask offers, by their command-line names. */
public enum FaceDetectorKind {
    BLAZEFACE,
    HAAR;

    public FaceDetector open() {
        return switch (this) {
            case BLAZEFACE -> BlazeFace.open();
            case HAAR -> HaarFaceDetector.open();
        };
    }

    /** Whether its faces come with eye keypoints (needed to align crops on the eyes). */
    public boolean findsEyes() {
        return this == BLAZEFACE;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FaceDetectorKind parse(String s) {
        for (FaceDetectorKind k : values()) {
            if (k.cliName().equals(s.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new UserError("unknown face detector '" + s + "'; expected blazeface or haar");
    }
}
