package dev.unmask.media.extract;

import java.io.PrintWriter;

/**
 * A progress bar with an ETA on stderr. On a terminal it redraws one line in place a few times a
 * second; otherwise (a log, CI) it prints a line every ten seconds, so logs stay short.
 */
public final class Progress {
    /** Makes the bar once the number of videos to do is known. */
    @FunctionalInterface
    public interface Factory {
        Progress create(int total);
    }

    private final PrintWriter err;
    private final boolean interactive;
    private final int total;
    private final long start = System.nanoTime();
    private int done;
    private int errors;
    private int noFace;
    private long lastPrint;
    private boolean lineOpen;

    public Progress(PrintWriter err, boolean interactive, int total) {
        this.err = err;
        this.interactive = interactive;
        this.total = total;
    }

    public synchronized void finished(String status) {
        done++;
        if (status.equals("error")) {
            errors++;
        } else if (status.equals("no_face")) {
            noFace++;
        }
        long now = System.nanoTime();
        long every = interactive ? 200_000_000L : 10_000_000_000L;
        if (done == total || now - lastPrint >= every) {
            lastPrint = now;
            print();
        }
    }

    /** A message (e.g. one video's error) printed above the bar. */
    public synchronized void message(String line) {
        if (lineOpen) {
            err.print("\r\033[K");
            lineOpen = false;
        }
        err.println(line);
        err.flush();
    }

    public synchronized void close() {
        if (lineOpen) {
            err.println();
            lineOpen = false;
        }
        err.flush();
    }

    private void print() {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(elapsed, 1e-9);
        double eta = done == 0 ? Double.NaN : (total - done) / rate;
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) done * width / total);
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        String line = String.format("extract [%s] %d/%d videos %3d%%  %s elapsed  ETA %s  %.2f videos/s  %d errors, %d without faces",
                bar, done, total, total == 0 ? 100 : done * 100 / total, clock(elapsed), clock(eta), rate, errors, noFace);
        if (interactive) {
            err.print("\r\033[K" + line);
            lineOpen = done < total;
            if (!lineOpen) {
                err.println();
            }
        } else {
            err.println(line);
        }
        err.flush();
    }

    static String clock(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
