package dev.unmask.core.train;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of long work on stderr: a bar with rate and ETA redrawn in place on a terminal,
 * only the start and end of each phase otherwise (logs and tests stay readable).
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

    final class Console implements Progress {
        private static final long REDRAW_NANOS = 250_000_000L;
        private final PrintWriter err;
        private final boolean interactive;
        private String phase = "";
        private long total;
        private long started;
        private long lastDraw;
        private boolean drawn;

        Console(PrintWriter err, boolean interactive) {
            this.err = err;
            this.interactive = interactive;
        }

        @Override
        public void start(String phase, long total) {
            this.phase = phase;
            this.total = Math.max(total, 1);
            this.started = System.nanoTime();
            this.lastDraw = 0;
            if (!interactive) {
                err.println("unmask: " + phase + " (" + total + ")");
                err.flush();
            }
        }

        @Override
        public void update(long done, String detail) {
            long now = System.nanoTime();
            if (!interactive || now - lastDraw < REDRAW_NANOS && done < total) {
                return;
            }
            lastDraw = now;
            double elapsed = (now - started) / 1e9;
            double frac = Math.min(1, (double) done / total);
            int width = 24;
            int filled = (int) Math.round(frac * width);
            String eta = done > 0 ? clock(elapsed / done * (total - done)) : "--:--";
            err.print(String.format(Locale.ROOT, "\r%s [%s%s] %d/%d %s ETA %s   ", phase, "=".repeat(filled), " ".repeat(width - filled),
                    done, total, detail == null ? "" : detail, eta));
            err.flush();
            drawn = true;
        }

        @Override
        public void finish(String summary) {
            clearLine();
            double elapsed = (System.nanoTime() - started) / 1e9;
            err.println("unmask: " + phase + " done in " + clock(elapsed) + (summary == null || summary.isEmpty() ? "" : ": " + summary));
            err.flush();
        }

        @Override
        public void message(String line) {
            clearLine();
            err.println("unmask: " + line);
            err.flush();
        }

        private void clearLine() {
            if (drawn) {
                err.print("\r" + " ".repeat(100) + "\r");
                drawn = false;
            }
        }

        static String clock(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
    }
}
