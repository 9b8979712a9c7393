package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.metrics.MetricsReport;
import dev.unmask.core.metrics.ScoresCsv;
import dev.unmask.core.metrics.VideoAggregation;
import java.nio.file.Path;

/**
 * Detection metrics of any scores file ({@code path,label,score[,video]}), so that other tools'
 * scores are judged the same way as Unmask's. It is {@code unmask metrics --json}
 * (schema {@code docs/schema/metrics-report.schema.json}).
 *
 * @param frame metrics per scored item
 * @param video metrics per video (frame scores aggregated), when the file has a video column
 * @param table the same metrics as a text table (not in the JSON)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "frame", "video"})
public record ScoreMetrics(int schemaVersion, JsonNode frame, @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode video, @JsonIgnore String table,
        @JsonIgnore int videos, @JsonIgnore int videoIdsWithBothLabels) {

    /**
     * @param aggregation how frame probabilities make a video probability; null: mean (an explicit
     *                    one needs a video column)
     */
    public static ScoreMetrics of(Path scores, double threshold, VideoAggregation aggregation, int bootstrap, long seed) {
        ScoresCsv csv = ScoresCsv.read(scores);
        if (aggregation != null && !csv.hasVideo()) {
            throw new UserError(scores + ": --video-agg needs a 'video' column, and this file has none");
        }
        MetricsReport.Options options = new MetricsReport.Options(threshold, aggregation == null ? VideoAggregation.MEAN : aggregation, bootstrap, seed);
        MetricsReport report;
        try {
            report = MetricsReport.compute(csv, options);
        } catch (UserError e) {
            // core messages do not know the file; name it so the user knows which input is wrong
            throw new UserError(scores + ": " + e.getMessage(), e);
        }
        ObjectNode json = report.toJson();
        return new ScoreMetrics(Unmask.SCHEMA_VERSION, json.get("frame"), json.get("video"), report.toTable(), csv.hasVideo() ? csv.videoCount() : 0,
                csv.hasVideo() ? csv.videoIdsWithBothLabels() : 0);
    }
}
