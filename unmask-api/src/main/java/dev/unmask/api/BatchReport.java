package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.unmask.media.detect.Verdict;
import java.util.List;
import java.util.Locale;

/**
 * A batch of files checked by one detector: what judged them, how, each file's report in input
 * order, and the counts. It is {@code report.json} of {@code unmask detect --out}
 * (schema {@code docs/schema/batch-report.schema.json}).
 *
 * @param doneBefore files whose report an earlier, resumed run made (not in the JSON)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "detector", "settings", "files", "summary"})
public record BatchReport(int schemaVersion, DetectorInfo detector, CheckSettings settings, List<FileCheck> files, Summary summary,
        @JsonProperty(access = JsonProperty.Access.WRITE_ONLY) int doneBefore) {

    public BatchReport {
        files = List.copyOf(files);
    }

    /** Files by verdict, and the batch's wall time in seconds. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"fake", "real", "no_face", "error", "wall_s"})
    public record Summary(int fake, int real, int noFace, int error, @JsonProperty("wall_s") double wallSeconds) {
        public int files() {
            return fake + real + noFace + error;
        }

        public int count(Verdict v) {
            return switch (v) {
                case FAKE -> fake;
                case REAL -> real;
                case NO_FACE -> noFace;
                case ERROR -> error;
            };
        }
    }

    /** One line for people: how many files, how long, and how many of each verdict. */
    public String summaryLine() {
        int n = summary.files();
        return String.format(Locale.ROOT, "detect: %d file%s in %.1f s: %d fake, %d real, %d no_face, %d error", n, n == 1 ? "" : "s",
                summary.wallSeconds(), summary.fake(), summary.real(), summary.noFace(), summary.error())
                + (doneBefore > 0 ? String.format(Locale.ROOT, " (%d done before, %d now)", doneBefore, n - doneBefore) : "");
    }
}
