package dev.unmask.cli;

import dev.unmask.core.io.ByteSizes;
import dev.unmask.core.hub.PullListener;
import dev.unmask.core.hub.PulledSnapshot;
import dev.unmask.core.progress.ProgressBar;
import java.io.PrintWriter;

/**
 * Shows pull progress on stderr: a {@link ProgressBar} per file in bytes, and in any case one
 * line per finished file, so logs stay readable.
 */
final class ProgressReporter implements PullListener {
    private final PrintWriter err;
    private final boolean interactive;
    private ProgressBar bar;

    ProgressReporter(PrintWriter err, boolean interactive) {
        this.err = err;
        this.interactive = interactive;
    }

    @Override
    public void started(String file, Activity activity, long total, long alreadyDone) {
        closeBar();
        String label = (activity == Activity.VERIFYING ? "checking " : "") + file;
        bar = ProgressBar.start(err, interactive, label, total, ProgressBar.Unit.BYTES, alreadyDone);
    }

    @Override
    public void progress(String file, long done, long total) {
        if (bar != null) {
            bar.update(done);
        }
    }

    @Override
    public void finished(String file, PulledSnapshot.PulledFile result, String how) {
        closeBar();
        err.println("  " + file + "  " + ByteSizes.format(result.size()) + "  sha256 " + result.sha256().substring(0, 12)
                + "..." + (result.lfs() ? " (verified)" : "") + "  " + how);
        err.flush();
    }

    @Override
    public void note(String message) {
        if (bar != null) {
            bar.message("  note: " + message);
        } else {
            err.println("  note: " + message);
            err.flush();
        }
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
