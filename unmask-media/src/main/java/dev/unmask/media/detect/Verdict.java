package dev.unmask.media.detect;

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

    public String id() {
        return id;
    }
}
