package dev.unmask.core.metrics;

import dev.unmask.core.UserError;
import dev.unmask.core.io.Csv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A scores file: CSV (RFC 4180: quoted fields may hold commas, quotes and line breaks) with a
 * header naming the columns {@code path,label,score} and optionally {@code video}, in any
 * order. label 0 is real; 1 or more is fake, the value kept as a manipulation id. score is the
 * probability of fake, finite and in [0, 1]. Any other column or a bad value is refused with the
 * line it is on, so a typo cannot silently drop the video level or a row. Videos are grouped by
 * {@link VideoKeys}: a video id holding real and fake rows is two videos.
 *
 * <p>Rows become primitive arrays; only video names are kept as strings (one per video), so
 * memory is linear in the number of scores.
 */
public final class ScoresCsv {
    public static final String EXPECTED_HEADER = "path,label,score[,video]";
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);
    private static final Pattern LABEL = Pattern.compile("\\d{1,9}");

    private final Path file;
    private final double[] scores;
    private final int[] labels;
    private final int[] video;
    private final List<String> videoNames;

    private final int videoIdsWithBothLabels;

    private ScoresCsv(Path file, double[] scores, int[] labels, int[] video, List<String> videoNames, int videoIdsWithBothLabels) {
        this.videoIdsWithBothLabels = videoIdsWithBothLabels;
        this.file = file;
        this.scores = scores;
        this.labels = labels;
        this.video = video;
        this.videoNames = videoNames;
    }

    /** Reads and validates the whole file; any problem is a one-line {@link UserError} naming the file. */
    public static ScoresCsv read(Path file) {
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": is a directory, expected a CSV file of scores");
        }
        try (Csv.Rows records = Csv.open(file, false)) {
            return parse(file, records);
        }
    }

    private static ScoresCsv parse(Path file, Csv.Rows records) {
        Csv.Row first = records.next();
        if (first == null) {
            throw new UserError(file + ": empty file; expected a header " + EXPECTED_HEADER);
        }
        int pathCol = -1;
        int labelCol = -1;
        int scoreCol = -1;
        int videoCol = -1;
        List<String> header = first.fields();
        int columns = header.size();
        for (int i = 0; i < columns; i++) {
            String name = header.get(i).trim().toLowerCase(Locale.ROOT);
            int previous = switch (name) {
                case "path" -> pathCol;
                case "label" -> labelCol;
                case "score" -> scoreCol;
                case "video" -> videoCol;
                default -> throw new UserError(file + ": unknown column '" + header.get(i).trim()
                        + "' in the header; expected " + EXPECTED_HEADER);
            };
            if (previous >= 0) {
                throw new UserError(file + ": column '" + name + "' appears twice in the header");
            }
            switch (name) {
                case "path" -> pathCol = i;
                case "label" -> labelCol = i;
                case "score" -> scoreCol = i;
                default -> videoCol = i;
            }
        }
        if (pathCol < 0 || labelCol < 0 || scoreCol < 0) {
            String missing = pathCol < 0 ? "path" : labelCol < 0 ? "label" : "score";
            throw new UserError(file + ": the header has no '" + missing + "' column; expected " + EXPECTED_HEADER
                    + " (got '" + String.join(",", header) + "')");
        }

        double[] scores = new double[1024];
        int[] labels = new int[1024];
        int[] video = videoCol >= 0 ? new int[1024] : null;
        VideoKeys videoKeys = new VideoKeys();
        int n = 0;
        for (Csv.Row record; (record = records.next()) != null; ) {
            int line = record.line();
            List<String> f = record.fields();
            if (f.size() != columns) {
                throw new UserError(file + ": line " + line + " has " + f.size() + " fields, the header has " + columns);
            }
            if (n == scores.length) {
                int grown = Math.max(16, n + (n >> 1));
                scores = Arrays.copyOf(scores, grown);
                labels = Arrays.copyOf(labels, grown);
                if (video != null) {
                    video = Arrays.copyOf(video, grown);
                }
            }
            labels[n] = parseLabel(f.get(labelCol), file, line);
            scores[n] = parseScore(f.get(scoreCol), file, line);
            if (video != null) {
                String name = f.get(videoCol).trim();
                if (name.isEmpty()) {
                    throw new UserError(file + ": line " + line + " has an empty video");
                }
                int id = videoKeys.id(name, labels[n] > 0);
                video[n] = id;
            }
            n++;
        }
        if (n == 0) {
            throw new UserError(file + ": no scores after the header");
        }
        return new ScoresCsv(file, Arrays.copyOf(scores, n), Arrays.copyOf(labels, n),
                video == null ? null : Arrays.copyOf(video, n), videoKeys.names(), videoKeys.idsWithBothLabels());
    }

    private static int parseLabel(String text, Path file, int line) {
        String t = text.trim();
        if (!LABEL.matcher(t).matches()) {
            throw new UserError(file + ": line " + line + ": label '" + text
                    + "' is not 0 (real) or a positive integer (fake, the value being the manipulation id)");
        }
        return Integer.parseInt(t);
    }

    private static double parseScore(String text, Path file, int line) {
        String t = text.trim();
        if (NON_FINITE.matcher(t).matches()) {
            throw new UserError(file + ": line " + line + ": score '" + text + "' is not a finite number");
        }
        if (!DECIMAL.matcher(t).matches()) {
            throw new UserError(file + ": line " + line + ": score '" + text + "' is not a number");
        }
        double s = Double.parseDouble(t);
        if (!(s >= 0 && s <= 1)) {
            throw new UserError(file + ": line " + line + ": score " + t
                    + " is not a probability in [0, 1] (the score must be the probability of fake)");
        }
        return s;
    }

    public Path file() {
        return file;
    }

    public int size() {
        return scores.length;
    }

    /** Probability of fake per row (a copy). */
    public double[] scores() {
        return scores.clone();
    }

    /** Label per row (a copy): 0 real, 1 or more fake (the manipulation id). */
    public int[] labels() {
        return labels.clone();
    }

    /** Whether each row is fake. */
    public boolean[] fake() {
        boolean[] fake = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            fake[i] = labels[i] > 0;
        }
        return fake;
    }

    public boolean hasVideo() {
        return video != null;
    }

    /** Video index per row (a copy), in {@code [0, videoCount())}; null without a video column. */
    public int[] video() {
        return video == null ? null : video.clone();
    }

    public int videoCount() {
        return videoNames.size();
    }

    /** How many video ids hold both real and fake rows (each is two videos, see {@link VideoKeys}). */
    public int videoIdsWithBothLabels() {
        return videoIdsWithBothLabels;
    }

    /** Names of the videos, by index, in order of first appearance. */
    public List<String> videoNames() {
        return videoNames;
    }
}
