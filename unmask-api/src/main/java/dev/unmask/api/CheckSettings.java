package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The settings a batch ran with, as its report states them.
 *
 * @param videoScore        the rule that turns frame scores into the file's score, in words
 * @param facesJudged       which detections count as faces to judge, in words (null for face crops)
 * @param minFaceConfidence the face detector's confidence a face needs (null for face crops)
 * @param explainTop        overlays per file, when explanations were made
 * @param explanationMethod its id, when explanations were made
 * @param explanation       what that method shows, in words
 * @param frameSampling     with {@code --frames auto}: the adaptive rule, in words (frames is then the grid); null otherwise
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"frames", "faces", "batch", "video_score", "faces_judged", "min_face_confidence", "explain_top", "explanation_method",
    "explanation", "frame_sampling"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckSettings(int frames, String faces, Integer batch, String videoScore, String facesJudged, Double minFaceConfidence,
        Integer explainTop, String explanationMethod, String explanation, String frameSampling) {
    public CheckSettings(int frames, String faces, Integer batch, String videoScore, String facesJudged, Double minFaceConfidence,
            Integer explainTop, String explanationMethod, String explanation) {
        this(frames, faces, batch, videoScore, facesJudged, minFaceConfidence, explainTop, explanationMethod, explanation, null);
    }
}
