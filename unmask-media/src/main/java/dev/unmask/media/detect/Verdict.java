package dev.unmask.media.detect;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What detect says about one file. */
public enum Verdict {
    FAKE("fake"),
    REAL("real"),
    /** No face in any sampled frame: nothing to judge, which is not an error of the file. */
    NO_FACE("no_face"),
    /** The file could not be read, or the model gave no finite score; the reason goes with it. */
    ERROR("error");

    private final String id;

    Verdict(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** The verdict named {@code id} in a report (fake, real, no_face, error). */
    @JsonCreator
    public static Verdict of(String id) {
        for (Verdict v : values()) {
            if (v.id.equals(id)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown verdict: " + id);
    }
}
