package dev.unmask.core.io;

import java.util.Locale;

/**
 * Human-readable byte counts for progress, summaries and messages, in IEC binary units (1 KiB =
 * 1024 B): the unit names say which multiple is meant, and free space, caches and memory, which
 * these numbers are compared with, come in powers of two.
 */
public final class ByteSizes {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSizes() {}

    /** "512 B", "1.5 KiB", "3.0 GiB"; a negative (unknown) count is "?". */
    public static String format(long bytes) {
        if (bytes < 0) {
            return "?";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        // 1023.95 and up would print as "1024.0" of this unit: that is 1.0 of the next.
        while (value >= 1023.95 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }
}
