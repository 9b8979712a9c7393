package dev.unmask.cli;

import dev.unmask.core.hub.ByteSizes;
import dev.unmask.core.hub.PullListener;
import dev.unmask.core.hub.PulledSnapshot;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows pull progress on stderr: a redrawn bar with rate and ETA when a person is watching, and
 * in any case one line per finished file, so logs stay readable.
 */
final class ProgressReporter implements PullListener {
    private static final long REDRAW_NANOS = 250_000_000L;
    private static final int BAR_WIDTH = 30;

    private final PrintWriter err;
    private final boolean interactive;
    private String label = "";
    private long startNanos;
    private long startBytes;
    private long lastDraw;
    private boolean barShown;

    ProgressReporter(PrintWriter err, boolean interactive) {
        this.err = err;
        this.interactive = interactive;
    }

    @Override
    public void started(String file, Activity activity, long total, long alreadyDone) {
        label = (activity == Activity.VERIFYING ? "checking " : "") + file;
        startNanos = System.nanoTime();
        startBytes = alreadyDone;
        lastDraw = 0;
    }

    @Override
    public void progress(String file, long done, long total) {
        if (!interactive) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS && done != total) {
            return;
        }
        lastDraw = now;
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        double rate = (done - startBytes) / seconds;
        StringBuilder line = new StringBuilder("\r").append(label).append(' ');
        if (total > 0) {
            int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * done / total);
            line.append('[').append("#".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%% ", 100 * done / total));
        }
        line.append(ByteSizes.format(done));
        if (total > 0) {
            line.append(" / ").append(ByteSizes.format(total));
        }
        line.append("  ").append(ByteSizes.format((long) rate)).append("/s");
        if (total > 0 && rate > 0) {
            line.append("  ETA ").append(duration((long) ((total - done) / rate)));
        }
        line.append("\u001b[K");
        err.print(line);
        err.flush();
        barShown = true;
    }

    @Override
    public void finished(String file, PulledSnapshot.PulledFile result, String how) {
        clearBar();
        err.println("  " + file + "  " + ByteSizes.format(result.size()) + "  sha256 " + result.sha256().substring(0, 12)
                + "…" + (result.lfs() ? " (verified)" : "") + "  " + how);
        err.flush();
    }

    @Override
    public void note(String message) {
        clearBar();
        err.println("  note: " + message);
        err.flush();
    }

    private void clearBar() {
        if (barShown) {
            err.print("\r\u001b[K");
            barShown = false;
        }
    }

    static String duration(long seconds) {
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
