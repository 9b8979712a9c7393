package dev.unmask.media.crop;

import dev.unmask.core.UserError;
import java.util.Locale;

/** Whether face crops are turned before cutting, and on what. */
public enum Alignment {
    /** Squares aligned with the frame. */
    NONE("none"),
    /**
     * Squares turned about the face box's centre so that the line through the eyes (BlazeFace's
     * first two keypoints) is horizontal; the turned frame is sampled bilinearly.
     */
    EYES("eyes:opencv-linear");

    private final String id;

    Alignment(String id) {
        this.id = id;
    }

    /** As stored in a crop contract. */
    public String id() {
        return id;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** From a command line ({@code none}, {@code eyes}) or a crop contract. */
    public static Alignment parse(String s) {
        for (Alignment a : values()) {
            if (a.cliName().equalsIgnoreCase(s) || a.id.equalsIgnoreCase(s)) {
                return a;
            }
        }
        throw new UserError("unknown face alignment '" + s + "'; expected none or eyes");
    }
}
