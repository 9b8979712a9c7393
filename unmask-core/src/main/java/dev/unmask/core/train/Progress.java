package dev.unmask.core.train;

import dev.unmask.core.progress.ProgressBar;
import java.io.PrintWriter;

/**
 * Progress of training's phases (hashing, caching, epochs): each phase a {@link ProgressBar},
 * with a line of its own at its start (in a log) and its end.
 */
public interface Progress {
    /** Starts a phase of {@code total} units. */
    void start(String phase, long total);

    /** {@code done} units of the current phase are finished. */
    void update(long done, String detail);

    /** Ends the current phase. */
    void finish(String summary);

    /** A line of its own (an epoch summary, a skipped file). */
    void message(String line);

    /** An epoch's training steps begin (for listeners that time epochs; nothing to show). */
    default void epochStarted(int epoch) {}

    /** An epoch's training and validation are done, before its checkpoint is written. */
    default void epochFinished(TrainingRun.EpochRecord record) {}

    Progress SILENT = new Progress() {
        @Override
        public void start(String phase, long total) {}

        @Override
        public void update(long done, String detail) {}

        @Override
        public void finish(String summary) {}

        @Override
        public void message(String line) {}
    };

    /** The console form, writing to {@code err}; {@code interactive} redraws one line with \r. */
    static Progress console(PrintWriter err, boolean interactive) {
        return new Console(err, interactive);
    }

    /** Training's phases on the one {@link ProgressBar}, each line of its own prefixed {@code unmask:}. */
    final class Console implements Progress {
        private final PrintWriter err;
        private final boolean interactive;
        private String phase = "";
        private ProgressBar bar;

        Console(PrintWriter err, boolean interactive) {
            this.err = err;
            this.interactive = interactive;
        }

        @Override
        public void start(String phase, long total) {
            this.phase = phase;
            this.bar = ProgressBar.start(err, interactive, phase, Math.max(total, 1), ProgressBar.Unit.of(""));
            if (!interactive) {
                err.println("unmask: " + phase + " (" + total + ")");
                err.flush();
            }
        }

        @Override
        public void update(long done, String detail) {
            if (bar != null) {
                bar.update(done, detail);
            }
        }

        @Override
        public void finish(String summary) {
            double elapsed = 0;
            if (bar != null) {
                bar.close();
                elapsed = bar.elapsedSeconds();
                bar = null;
            }
            err.println("unmask: " + phase + " done in " + ProgressBar.clock(elapsed) + (summary == null || summary.isEmpty() ? "" : ": " + summary));
            err.flush();
        }

        @Override
        public void message(String line) {
            if (bar != null) {
                bar.message("unmask: " + line);
            } else {
                err.println("unmask: " + line);
                err.flush();
            }
        }
    }
}
