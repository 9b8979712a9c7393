package dev.unmask.core.io;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The charset the JVM decodes file names with. On Java 17 it follows the process locale
 * ({@code -Dsun.jnu.encoding} on the command line is ignored), so without a UTF-8 locale (LANG
 * unset, as in bare containers and cron jobs) a file name with a non-ASCII letter cannot even be
 * named: Unmask's launcher sets {@code C.UTF-8}, and anything else running the library hears of it.
 */
public final class FileNameEncoding {
    private FileNameEncoding() {}

    /** The JVM's file-name charset, as it reports it. */
    public static String current() {
        return System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name());
    }

    /** One line saying that file names are not decoded as UTF-8, and what to do; empty when they are. */
    public static Optional<String> warning() {
        return warning(current());
    }

    static Optional<String> warning(String encoding) {
        boolean utf8;
        try {
            utf8 = Charset.forName(encoding).equals(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            utf8 = false;
        }
        return utf8 ? Optional.empty() : Optional.of("warning: file names are decoded as " + encoding + ", not UTF-8 (the locale is not"
                + " UTF-8): files with non-ASCII names cannot be opened; set LC_ALL=C.UTF-8 (bin/unmask does)");
    }
}
