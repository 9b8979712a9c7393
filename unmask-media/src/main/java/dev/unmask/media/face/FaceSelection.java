package dev.unmask.media.face;

import dev.unmask.core.UserError;

/** Which faces of a frame to keep. */
public enum FaceSelection {
    /** The largest face of each frame (one track): the usual dataset protocol. */
    LARGEST,
    /** Every face, each person followed across frames as a track of their own. */
    ALL;

    public static FaceSelection parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "largest" -> LARGEST;
            case "all" -> ALL;
            default -> throw new UserError("--faces must be 'largest' or 'all', got '" + s + "'");
        };
    }
}
