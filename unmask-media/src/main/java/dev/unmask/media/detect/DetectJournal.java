package dev.unmask.media.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * detect's results under {@code --out}, written as each file is done, so that a batch killed at
 * any moment can be resumed. {@code reports.jsonl} gets one line per finished file, appended and
 * forced to disk at once: a kill or a power cut leaves at worst a torn last line, which a resume
 * drops (that file is done again). {@code run.json} holds what the results depend on (the
 * detector's bytes, the crop contract, the sampling and explanation settings); a resume with other
 * ones is refused.
 *
 * <p>The file is only ever appended to, so a file done again (changed since, or retried after an
 * error) leaves its earlier record in place: <b>the last record of a path is the live one</b>, and
 * every earlier record of that path is superseded, whatever size and time it names. Rewriting the
 * file instead would put the records already kept at risk at each resume.
 *
 * <p>A file counts as done when the live record of its path (absolute) was made when the file had
 * its present size and modification time, as make and rsync judge it. Hashing the content instead
 * would read every byte of every video again on each resume, which for short clips costs about
 * what sampling 32 frames does; a file rewritten in place with the same size within the same
 * millisecond would be missed, which is not how videos change.
 */
public final class DetectJournal implements AutoCloseable {
    public static final String REPORTS = "reports.jsonl";
    public static final String RUN = "run.json";
    /** Written at the end by the caller; named here so that an earlier run is recognised by it too. */
    public static final String REPORT = "report.json";
    /** The key under which a record names the file it was made from. */
    static final String SOURCE = "source";

    /** A file as it was when its record was made. */
    public record Source(String path, long size, long modifiedMillis) {
        /** The file as it is now, or null when it cannot be read (it is then always done afresh: its error is cheap). */
        public static Source of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                if (!a.isRegularFile()) {
                    return null;
                }
                return new Source(file.toAbsolutePath().normalize().toString(), a.size(), a.lastModifiedTime().toMillis());
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** A record as read back: the file it was made from, and its report (without {@link #SOURCE}). */
    private record Kept(Source source, ObjectNode report) {}

    private final Path dir;
    /** The live record of each path. */
    private final Map<String, Kept> done;
    private final FileChannel out;

    private DetectJournal(Path dir, Map<String, Kept> done, FileChannel out) {
        this.dir = dir;
        this.done = done;
        this.out = out;
    }

    /** Refuses, unless resuming, a folder where an earlier detect run left its results. Checked before any work. */
    public static void refuseEarlierRun(Path dir, boolean resume) {
        if (resume) {
            return;
        }
        for (String name : new String[] {REPORTS, RUN, REPORT}) {
            if (Files.exists(dir.resolve(name))) {
                throw new UserError(dir + " holds an earlier detect run (" + name + "); pass --resume to finish it, or choose another --out");
            }
        }
    }

    /**
     * Opens the results in {@code dir} for a run whose results depend on {@code identity}: afresh
     * (no earlier run there), or, when resuming, keeping every complete record of an earlier run
     * made with the same identity.
     */
    public static DetectJournal open(Path dir, ObjectNode identity, boolean resume) {
        refuseEarlierRun(dir, resume);
        Path runFile = dir.resolve(RUN);
        Path reports = dir.resolve(REPORTS);
        try {
            Files.createDirectories(dir);
            Map<String, Kept> done = new HashMap<>();
            if (resume && Files.exists(runFile)) {
                JsonNode earlier = StrictJson.read(runFile);
                // Compared as parsed JSON on both sides: numbers read back as the same types.
                JsonNode now = StrictJson.parse(StrictJson.mapper().writeValueAsString(identity), "settings");
                if (!now.equals(earlier)) {
                    throw new UserError(dir + ": the earlier run used other settings or another detector (" + differences(earlier, now)
                            + "); resume with the same ones, or choose another --out");
                }
                if (Files.exists(reports)) {
                    readRecords(reports, done);
                }
            } else {
                AtomicFiles.writeString(runFile, StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(identity));
                Files.deleteIfExists(reports);
            }
            boolean created = !Files.exists(reports);
            FileChannel ch = FileChannel.open(reports, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (created) {
                forceEntries(dir);
            }
            return new DetectJournal(dir, done, ch);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot keep detect's results here (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /**
     * Keeps the records of complete lines, and cuts a torn last line off the file so that the next
     * record starts on a line of its own. The last record of a path supersedes its earlier ones.
     */
    private static void readRecords(Path reports, Map<String, Kept> done) throws IOException {
        byte[] bytes = Files.readAllBytes(reports);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        if (end < bytes.length) {
            try (FileChannel ch = FileChannel.open(reports, StandardOpenOption.WRITE)) {
                ch.truncate(end);
                ch.force(true);
            }
        }
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode record = StrictJson.parse(line, reports + " line " + lineNumber);
            JsonNode s = record.path(SOURCE);
            if (!record.isObject() || !s.path("path").isTextual() || !s.path("size").isIntegralNumber() || !s.path("modified_ms").isIntegralNumber()) {
                throw new UserError(reports + " line " + lineNumber + ": not a detect record (no source path, size and time)");
            }
            ObjectNode report = ((ObjectNode) record).deepCopy();
            report.remove(SOURCE);
            Source source = new Source(s.path("path").asText(), s.path("size").asLong(), s.path("modified_ms").asLong());
            done.put(source.path(), new Kept(source, report));
        }
    }

    /**
     * Puts a new file's name in {@code dir} on disk: forcing the file itself does not, so a power
     * cut could otherwise lose every record forced into it. Where a folder cannot be opened to be
     * forced (not on Linux or macOS), the file system's own schedule has to do.
     */
    private static void forceEntries(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort, as above
        }
    }

    private static String differences(JsonNode earlier, JsonNode now) {
        List<String> found = new ArrayList<>();
        differences("", earlier, now, found);
        String all = String.join("; ", found);
        return all.length() > 300 ? all.substring(0, 300) + "..." : all;
    }

    private static void differences(String where, JsonNode earlier, JsonNode now, List<String> found) {
        if (earlier != null && now != null && earlier.isObject() && now.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            now.fieldNames().forEachRemaining(keys::add);
            earlier.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                differences(where.isEmpty() ? k : where + "." + k, earlier.get(k), now.get(k), found);
            }
        } else if (earlier == null || !earlier.equals(now)) {
            found.add(where + " " + shown(earlier) + " then, " + shown(now) + " now");
        }
    }

    private static String shown(JsonNode v) {
        return v == null ? "none" : StrictJson.oneLine(v.isTextual() ? v.asText() : v.toString());
    }

    /** The report an earlier run made from this file as it is now (its path's live record, made at this size and time), or null. */
    public ObjectNode finished(Source source) {
        Kept k = source == null ? null : done.get(source.path());
        return k != null && k.source().equals(source) ? k.report() : null;
    }

    /** How many files a resumed run found records of (one per path: superseded records are not counted). */
    public int recordsFound() {
        return done.size();
    }

    /**
     * Adds a finished file's report, on disk before this returns (a crash or power cut after it
     * does not lose it); it supersedes any earlier record of the same path.
     */
    public void append(Source source, ObjectNode report) {
        if (source == null) {
            // Unreadable files leave no record: their error is found again at once on a resume.
            return;
        }
        ObjectNode record = report.deepCopy();
        ObjectNode s = record.putObject(SOURCE);
        s.put("path", source.path());
        s.put("size", source.size());
        s.put("modified_ms", source.modifiedMillis());
        try {
            ByteBuffer line = ByteBuffer.wrap((StrictJson.mapper().writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                out.write(line);
            }
            // Data only, not the modification time: the record is all a resume reads. Measured on ext4
            // (virtio disk), 0.6 KB and 8 KB records: 0.2-0.25 ms median, 0.3 ms p90, a few ms at worst,
            // against 0.35 s just to decode and sample a 10 s 720p clip (docs/BENCHMARKS.md).
            out.force(false);
        } catch (IOException e) {
            throw new UserError(dir.resolve(REPORTS) + ": cannot write (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /** Where the aggregate report goes. */
    public Path reportFile() {
        return dir.resolve(REPORT);
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UserError(dir.resolve(REPORTS) + ": cannot close (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }
}
