package dev.unmask.media.dataset;

import java.util.Locale;

/** Dataset splits; ALL is the one list of a layout that defines no splits. */
public enum Split {
    TRAIN, VAL, TEST, ALL;

    /** The datalist's file name without extension. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
