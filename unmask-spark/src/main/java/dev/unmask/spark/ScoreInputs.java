package dev.unmask.spark;

import dev.unmask.core.UserError;
import dev.unmask.media.dataset.MediaFilesUnder;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The files a score job judges, from a folder, a glob, or a manifest (CSV or Parquet with a path column, optionally label and video). */
final class ScoreInputs {
    /** One file to judge; label (0 real, 1 fake) and video are null when not given. */
    record Item(String path, Integer label, String video) implements Serializable {}

    private ScoreInputs() {}

    static List<Item> list(SparkSession spark, String input) {
        String lower = input.toLowerCase(Locale.ROOT);
        Path p = Path.of(input);
        List<Item> items;
        if (Files.isDirectory(p)) {
            items = MediaFilesUnder.media(p).stream().map(f -> new Item(f.toAbsolutePath().toString(), null, null)).toList();
        } else if (input.contains("*") || input.contains("?") || input.contains("[") || input.contains("{")) {
            items = glob(input);
        } else if (lower.endsWith(".csv") || lower.endsWith(".parquet")) {
            items = manifest(spark, p, lower.endsWith(".csv"));
        } else {
            throw new UserError(input + ": not a folder, a glob, or a manifest (.csv or .parquet with a path column)");
        }
        // One row per file: a manifest that names a file twice would score it twice and count it twice in the metrics.
        Map<String, Item> unique = new LinkedHashMap<>();
        for (Item i : items) {
            if (unique.putIfAbsent(i.path(), i) != null) {
                throw new UserError(input + ": names " + i.path() + " more than once");
            }
        }
        if (unique.isEmpty()) {
            throw new UserError(input + ": no media files");
        }
        return List.copyOf(unique.values());
    }

    /** A glob such as {@code /data/clips/**}{@code .mp4}: walked from the folder before its first wildcard. */
    private static List<Item> glob(String pattern) {
        String abs = pattern.startsWith("/") ? pattern : Path.of("").toAbsolutePath() + "/" + pattern;
        int wild = firstWildcard(abs);
        String baseText = abs.substring(0, abs.lastIndexOf('/', wild) + 1);
        Path base = Path.of(baseText.isEmpty() ? "/" : baseText);
        if (!Files.isDirectory(base)) {
            throw new UserError(pattern + ": no such folder " + base);
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + abs);
        try (Stream<Path> s = Files.walk(base)) {
            return s.filter(Files::isRegularFile).map(Path::toAbsolutePath).filter(matcher::matches).sorted()
                    .map(f -> new Item(f.toString(), null, null)).toList();
        } catch (IOException e) {
            throw new UserError(base + ": cannot list (" + e.getMessage() + ")");
        }
    }

    private static int firstWildcard(String s) {
        for (int i = 0; i < s.length(); i++) {
            if ("*?[{".indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    /** Paths in a manifest are taken as they are when absolute, else relative to the manifest's folder. */
    private static List<Item> manifest(SparkSession spark, Path file, boolean csv) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": no such manifest");
        }
        Dataset<Row> rows = csv ? spark.read().option("header", "true").csv(file.toString()) : spark.read().parquet(file.toString());
        List<String> cols = List.of(rows.columns());
        if (!cols.contains("path")) {
            throw new UserError(file + ": a manifest needs a 'path' column; it has " + String.join(", ", cols));
        }
        Path base = file.toAbsolutePath().getParent();
        List<Item> items = new ArrayList<>();
        int line = 1;
        for (Row r : rows.collectAsList()) {
            line++;
            Object path = r.getAs("path");
            if (path == null || path.toString().isBlank()) {
                throw new UserError(file + ": row " + line + " has no path");
            }
            Integer label = null;
            if (cols.contains("label") && r.getAs("label") != null) {
                String l = r.getAs("label").toString().trim();
                try {
                    label = Integer.parseInt(l);
                } catch (NumberFormatException e) {
                    throw new UserError(file + ": row " + line + ": label '" + l + "' is not 0 (real) or 1 (fake)");
                }
                if (label < 0) {
                    throw new UserError(file + ": row " + line + ": label " + label + " is not 0 (real) or >= 1 (fake)");
                }
                label = label > 0 ? 1 : 0;
            }
            String video = cols.contains("video") && r.getAs("video") != null ? r.getAs("video").toString() : null;
            items.add(new Item(base.resolve(path.toString()).normalize().toString(), label, video));
        }
        return items;
    }
}
