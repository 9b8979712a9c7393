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
    EYES("eyes:opencv-linear"),
    /**
     * GenD's aligned faces (Yermakov et al., github yermandy/GenD, {@code align_face}): the frame
     * mapped by the similarity that puts BlazeFace's two eyes on GenD's template's eyes
     * ({@link GenDTemplate}), sampled once by the warp with the contract's kernel at the contract's
     * size; the margin is GenD's scale. GenD placed RetinaFace's five landmarks; these come from BlazeFace.
     */
    GEND("gend:blazeface-eyes:similarity");

    private final String id;

    Alignment(String id) {
        this.id = id;
    }

    /** Whether crops need the face's keypoints (BlazeFace's), not just its box. */
    public boolean needsKeypoints() {
        return this != NONE;
    }

    /** As stored in a crop contract. */
    public String id() {
        return id;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** From a command line ({@code none}, {@code eyes}, {@code gend}) or a crop contract. */
    public static Alignment parse(String s) {
        for (Alignment a : values()) {
            if (a.cliName().equalsIgnoreCase(s) || a.id.equalsIgnoreCase(s)) {
                return a;
            }
        }
        throw new UserError("unknown face alignment '" + s + "'; expected none, eyes or gend");
    }
}
