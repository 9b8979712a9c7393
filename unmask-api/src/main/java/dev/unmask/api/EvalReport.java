package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.unmask.core.detector.TrainingLog;
import java.util.List;
import java.util.Map;

/**
 * A detector evaluated on test lists: metrics of the pooled lists, of each list and of each
 * manipulation method against all real items, at the threshold stored in the detector. It is
 * {@code metrics.json} of {@code unmask eval} and its {@code --json} output
 * (schema {@code docs/schema/eval-report.schema.json}). The metric objects are those of
 * {@code unmask metrics --json}.
 *
 * @param scores      every scored image (in scores.csv; not in the JSON)
 * @param trainingLog the detector's per-epoch log (not in the JSON)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "detector", "pooled", "lists", "methods", "skipped"})
public record EvalReport(int schemaVersion, EvaluatedDetector detector, JsonNode pooled, @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, JsonNode> lists,
        @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, JsonNode> methods, List<String> skipped, @JsonIgnore List<Scored> scores,
        @JsonIgnore List<TrainingLog.Epoch> trainingLog) {

    /** The detector as an evaluation names it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"path", "approach", "features", "threshold", "backbone_sha256", "crop_contract"})
    public record EvaluatedDetector(String path, String approach, String features, double threshold, String backboneSha256, JsonNode cropContract) {}

    /**
     * One scored image.
     *
     * @param list  the list it came from (test1, test2, ...)
     * @param video its video id (prefixed by the list's name when several lists are pooled)
     */
    public record Scored(String list, String path, int label, String video, double score) {}
}
