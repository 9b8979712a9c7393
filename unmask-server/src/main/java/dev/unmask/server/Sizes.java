package dev.unmask.server;

import dev.unmask.core.UserError;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes ("500MB") and durations ("300s", "1h") as an operator writes them on the command line. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|MB|GB|K|M|G|KIB|MIB|GIB)?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(MS|S|M|MIN|H|D)?");

    private Sizes() {}

    static long bytes(String text, String option) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new UserError(option + " must be a size such as 500MB, got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long scale = switch (unit) {
            case "KB", "K", "KIB" -> 1L << 10;
            case "MB", "M", "MIB" -> 1L << 20;
            case "GB", "G", "GIB" -> 1L << 30;
            default -> 1L;
        };
        if (n <= 0 || n > Long.MAX_VALUE / scale) {
            throw new UserError(option + " must be positive, got '" + text + "'");
        }
        return n * scale;
    }

    static Duration duration(String text, String option) {
        Matcher m = DURATION.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new UserError(option + " must be a duration such as 300s, 5m or 1h, got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        if (n <= 0) {
            throw new UserError(option + " must be positive, got '" + text + "'");
        }
        String unit = m.group(2) == null ? "S" : m.group(2);
        return switch (unit) {
            case "MS" -> Duration.ofMillis(n);
            case "M", "MIN" -> Duration.ofMinutes(n);
            case "H" -> Duration.ofHours(n);
            case "D" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
