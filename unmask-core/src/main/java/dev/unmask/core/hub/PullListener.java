package dev.unmask.core.hub;

/** Progress of a pull, for a progress bar or a log. All methods may be left as no-ops. */
public interface PullListener {
    /** What is being done to a file's bytes. */
    enum Activity { DOWNLOADING, VERIFYING }

    PullListener SILENT = new PullListener() {};

    /** @param total bytes expected, or -1; @param alreadyDone bytes already there (a resumed download) */
    default void started(String file, Activity activity, long total, long alreadyDone) {}

    /** Called often; implementations should throttle their own output. */
    default void progress(String file, long done, long total) {}

    default void finished(String file, PulledSnapshot.PulledFile result, String how) {}

    /** A one-line remark worth showing the user. */
    default void note(String message) {}
}
