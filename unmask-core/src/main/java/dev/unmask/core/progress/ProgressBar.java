package dev.unmask.core.progress;

import dev.unmask.core.io.ByteSizes;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress bar of all long work (training, extraction, downloads, detection):
 * {@code label [=====>     ] done/total rate ETA} on stderr.
 *
 * <p>On a terminal the line is redrawn in place, at most every 250 ms. In a log (stderr not a
 * terminal) redrawing would leave a line per update, so a plain line is printed at most every
 * 10 s, and one at the end only when the work was long enough to have printed one before: short
 * work leaves no bar lines, and the owner prints its own summary either way.
 *
 * <p>Safe to call from several threads (extraction workers report as they finish).
 */
public final class ProgressBar {
    static final long REDRAW_NANOS = 250_000_000L;
    static final long LOG_EVERY_NANOS = 10_000_000_000L;
    static final int WIDTH = 30;
    private static final String CLEAR_LINE = "\r\u001b[K";

    /** How amounts read: things counted ({@code 12/40 files}, {@code 2.50 files/s}) or bytes ({@code 1.0 MB/2.0 MB}, {@code 1.0 MB/s}). */
    public record Unit(String name, boolean bytes) {
        public static final Unit BYTES = new Unit("", true);

        /** Things counted; {@code name} may be empty. */
        public static Unit of(String name) {
            return new Unit(name, false);
        }

        String amount(long n) {
            return bytes ? ByteSizes.format(n) : Long.toString(n);
        }

        String done(long done, long total) {
            String amounts = total > 0 ? amount(done) + "/" + amount(total) : amount(done);
            return name.isEmpty() ? amounts : amounts + " " + name;
        }

        String rate(double perSecond) {
            if (bytes) {
                return ByteSizes.format((long) perSecond) + "/s";
            }
            String value = perSecond >= 100 ? String.format(Locale.ROOT, "%.0f", perSecond)
                    : perSecond >= 10 ? String.format(Locale.ROOT, "%.1f", perSecond) : String.format(Locale.ROOT, "%.2f", perSecond);
            return value + (name.isEmpty() ? "/s" : " " + name + "/s");
        }
    }

    private final PrintWriter err;
    private final boolean interactive;
    private final String label;
    private final long total;
    private final Unit unit;
    private final long base;
    private final LongSupplier clock;
    private final long started;
    private long done;
    private String detail;
    private long lastDraw;
    private boolean shown;
    private boolean logged;
    private boolean endLogged;
    private boolean closed;

    ProgressBar(PrintWriter err, boolean interactive, String label, long total, Unit unit, long base, LongSupplier clock) {
        this.err = err;
        this.interactive = interactive;
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.base = base;
        this.done = base;
        this.clock = clock;
        this.started = clock.getAsLong();
        this.lastDraw = started;
    }

    /** A bar over {@code total} units ({@code total <= 0}: not known; no bar, no ETA). */
    public static ProgressBar start(PrintWriter err, boolean interactive, String label, long total, Unit unit) {
        return start(err, interactive, label, total, unit, 0);
    }

    /**
     * A bar over {@code total} units of which {@code alreadyDone} were done earlier (a resumed
     * download): they show in the count but not in the rate, so the ETA stays honest.
     */
    public static ProgressBar start(PrintWriter err, boolean interactive, String label, long total, Unit unit, long alreadyDone) {
        return new ProgressBar(err, interactive, label, total, unit, alreadyDone, System::nanoTime);
    }

    public synchronized void update(long doneNow) {
        update(doneNow, detail);
    }

    /** {@code doneNow} units are done; {@code detail} (a loss, error counts; may be null) follows the ETA. */
    public synchronized void update(long doneNow, String detailNow) {
        if (closed) {
            return;
        }
        this.done = doneNow;
        this.detail = detailNow;
        long now = clock.getAsLong();
        boolean end = total > 0 && done >= total;
        if (interactive) {
            if (!shown || end || now - lastDraw >= REDRAW_NANOS) {
                lastDraw = now;
                err.print("\r" + line(now) + "\u001b[K");
                err.flush();
                shown = true;
            }
        } else if (now - lastDraw >= LOG_EVERY_NANOS || end && logged && !endLogged) {
            lastDraw = now;
            err.println(line(now));
            err.flush();
            logged = true;
            endLogged = end;
        }
    }

    /** One more unit is done. */
    public synchronized void advance(String detailNow) {
        update(done + 1, detailNow);
    }

    /** A line of its own (an error, an epoch's summary) above the bar, which comes back with the next update. */
    public synchronized void message(String line) {
        hide();
        err.println(line);
        err.flush();
    }

    /** Takes the bar off the terminal so that something else (stdout) can be printed; the next update draws it again. */
    public synchronized void hide() {
        if (shown) {
            err.print(CLEAR_LINE);
            err.flush();
            shown = false;
        }
    }

    /** The work is over: the bar leaves the terminal; later updates are ignored. */
    public synchronized void close() {
        hide();
        closed = true;
    }

    /** Seconds since the bar started. */
    public synchronized double elapsedSeconds() {
        return (clock.getAsLong() - started) / 1e9;
    }

    private String line(long now) {
        return render(label, done, total, done - base, (now - started) / 1e9, unit, detail);
    }

    /**
     * The bar's text: {@code label [=====>    ] done/total rate ETA m:ss  detail}; {@code doneHere}
     * of the {@code done} units were done in {@code seconds} (they give the rate).
     */
    static String render(String label, long done, long total, long doneHere, double seconds, Unit unit, String detail) {
        StringBuilder s = new StringBuilder(label).append(' ');
        if (total > 0) {
            int filled = (int) Math.max(0, Math.min(WIDTH, WIDTH * (double) done / total));
            s.append('[').append("=".repeat(filled));
            if (filled < WIDTH) {
                s.append('>').append(" ".repeat(WIDTH - filled - 1));
            }
            s.append("] ");
        }
        s.append(unit.done(done, total));
        double rate = seconds > 0 ? doneHere / seconds : 0;
        s.append(' ').append(doneHere > 0 && seconds > 0 ? unit.rate(rate) : "--" + (unit.name().isEmpty() ? "/s" : " " + unit.name() + "/s"));
        if (total > 0) {
            s.append(" ETA ").append(done >= total ? clock(0) : rate > 0 ? clock((total - done) / rate) : "--:--");
        }
        if (detail != null && !detail.isEmpty()) {
            s.append("  ").append(detail);
        }
        return s.toString();
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on; {@code --:--} when not known. */
    public static String clock(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
