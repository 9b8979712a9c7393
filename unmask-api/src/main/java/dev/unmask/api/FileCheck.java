package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.unmask.core.explain.HeatMap;
import dev.unmask.media.detect.FileReport;
import dev.unmask.media.detect.Verdict;
import java.util.ArrayList;
import java.util.List;

/**
 * What a check found in one file: the verdict, its score against the detector's threshold, the
 * per-face and per-frame scores it came from, what decoding learned, the time it took, and the
 * explanation when one was asked for. This record <em>is</em> the JSON of {@code unmask detect
 * --json} (one line per file), of the files in {@code report.json}, and of the HTTP API's report
 * (schema {@code docs/schema/file-check.schema.json}).
 *
 * <p>JSON has no NaN: a number that does not exist (no score for {@code no_face}, a time not
 * measured) is null.
 *
 * @param schemaVersion      {@link Unmask#SCHEMA_VERSION} of the code that made it
 * @param score              the file's fake probability: the highest of its faces' scores, each the
 *                           mean over that face's frames; null unless the verdict is fake or real
 * @param frames             frames sampled (1 for a still image)
 * @param faces              faces followed and scored (tracks)
 * @param error              why the file could not be judged, when the verdict is error
 * @param faceScores         one score per face followed across frames
 * @param frameScores        every judged face crop, in frame order
 * @param weakFaces          detections not judged (too low a confidence, or a track seen in too few
 *                           of the sampled frames), in frame order
 * @param media              what decoding learned, or null when the file could not be opened
 * @param explanation        overlays and contact sheet, or null when none were asked for
 * @param sampling           how many frames {@code --frames auto} sampled and why it stopped; null for a fixed number
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "path", "verdict", "score", "threshold", "frames", "frames_with_faces", "faces", "error", "face_scores",
    "frame_scores", "weak_faces", "media", "timings", "explanation", "sampling"})
public record FileCheck(int schemaVersion, String path, Verdict verdict, Double score, Double threshold, int frames, int framesWithFaces, int faces,
        @JsonInclude(JsonInclude.Include.ALWAYS) String error, List<FaceTrack> faceScores, List<FrameFace> frameScores, List<WeakFace> weakFaces,
        @JsonInclude(JsonInclude.Include.NON_NULL) Media media, Timings timings, @JsonInclude(JsonInclude.Include.NON_NULL) Explanation explanation,
        @JsonInclude(JsonInclude.Include.NON_NULL) Sampling sampling) {

    public FileCheck {
        faceScores = List.copyOf(faceScores);
        frameScores = List.copyOf(frameScores);
        weakFaces = weakFaces == null ? List.of() : List.copyOf(weakFaces);
    }

    /**
     * What adaptive sampling ({@code --frames auto}) did with a video.
     *
     * @param grid    the grid's frames (32): what {@code --frames 32} samples
     * @param planned the frames the whole grid gives this video (fewer for a clip with fewer frames)
     * @param sampled the frames sampled before it stopped
     * @param stages  the stages sampled (a quarter, a half, all of the grid)
     * @param stopped why it stopped, in words
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"grid", "planned", "sampled", "stages", "stopped"})
    public record Sampling(int grid, int planned, int sampled, int stages, String stopped) {}

    /** One face followed across frames: the mean fake probability over the frames it was found in. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record FaceTrack(int track, Double score, int frames) {}

    /** A face's box in frame pixels (rounded to 0.1 px). */
    public record Box(double x, double y, double width, double height) {}

    /** One scored face crop: where and when it was, how sure the face detector was, and the fake probability. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"frame", "seconds", "track", "score", "box", "face_confidence"})
    public record FrameFace(int frame, Double seconds, int track, Double score, Box box, Double faceConfidence) {}

    /**
     * A detection that did not count as a face to judge.
     *
     * @param track  its track, or -1 when set aside before tracking (too low a confidence)
     * @param reason why it was not judged, in words
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"frame", "seconds", "track", "box", "face_confidence", "reason"})
    public record WeakFace(int frame, Double seconds, int track, Box box, Double faceConfidence, String reason) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Media(String format, String codec, int width, int height, int rotation, boolean mirrored, Double declaredSeconds,
            boolean damaged) {}

    /**
     * Seconds spent on the file: decoding, face detection, the model (its share of batches),
     * explanations, all told; and, counted from the file's start, when the model first ran on its
     * faces and when its last frame was decoded.
     */
    public record Timings(@JsonProperty("decode_s") Double decode, @JsonProperty("faces_s") Double faces, @JsonProperty("model_s") Double model,
            @JsonProperty("explain_s") Double explain, @JsonProperty("wall_s") Double wall,
            @JsonProperty("first_model_at_s") Double firstModelAt, @JsonProperty("decoded_at_s") Double decodedAt) {}

    /** A heat-map overlay written for one of the file's most suspicious faces; the grid is the map on the model's patch grid. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"file", "frame", "seconds", "track", "score", "patch_size", "heat_grid"})
    public record Overlay(String file, int frame, Double seconds, int track, Double score, int patchSize, List<List<Double>> heatGrid) {
        /** The map on the model's patch grid (to three decimals), for drawing or measuring it. */
        public HeatMap heatMap() {
            int h = heatGrid.size();
            int w = h == 0 ? 0 : heatGrid.get(0).size();
            float[] grid = new float[h * w];
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    grid[r * w + c] = heatGrid.get(r).get(c).floatValue();
                }
            }
            return new HeatMap(h, w, patchSize, grid);
        }
    }

    /** @param error why explanations could not be made (the verdict stands), or null */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"method", "contact_sheet", "error", "overlays"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Explanation(String method, String contactSheet, String error, List<Overlay> overlays) {}

    static FileCheck of(FileReport r) {
        List<FaceTrack> tracks = r.tracks().stream().map(t -> new FaceTrack(t.track(), finite(t.score()), t.frames())).toList();
        List<FrameFace> frames = r.faces().stream().map(s -> new FrameFace(s.frame(), finite(s.seconds()), s.track(), finite(s.score()),
                box(s.box()), finite(s.faceConfidence()))).toList();
        List<WeakFace> weak = r.weakFaces().stream().map(w -> new WeakFace(w.frame(), finite(w.seconds()), w.track(), box(w.box()),
                finite(w.faceConfidence()), w.reason())).toList();
        Media media = r.media() == null ? null : new Media(r.media().format(), r.media().codec(), r.media().width(), r.media().height(),
                r.media().rotation(), r.media().mirrored(), finite(r.media().declaredSeconds()), r.media().damaged());
        FileReport.Timings t = r.timings();
        Timings timings = new Timings(finite(t.decode()), finite(t.faces()), finite(t.model()), finite(t.explain()), finite(t.wall()),
                finite(t.firstModelAt()), finite(t.decodedAt()));
        Explanation explanation = null;
        if (r.explanation() != null) {
            FileReport.Explanation e = r.explanation();
            List<Overlay> overlays = e.overlays().stream().map(o -> new Overlay(o.file().toString(), o.frame(), finite(o.seconds()), o.track(),
                    finite(o.score()), o.map().patchSize(), grid(o.map()))).toList();
            explanation = new Explanation(e.method(), e.contactSheet() == null ? null : e.contactSheet().toString(), e.error(), overlays);
        }
        Sampling sampling = r.sampling() == null ? null : new Sampling(r.sampling().grid(), r.sampling().planned(), r.sampling().sampled(),
                r.sampling().stages(), r.sampling().stopped());
        return new FileCheck(Unmask.SCHEMA_VERSION, r.path(), r.verdict(), finite(r.score()), finite(r.threshold()), r.framesSampled(),
                r.framesWithFaces(), r.tracks().size(), r.error(), tracks, frames, weak, media, timings, explanation, sampling);
    }

    /** The normalised map to three decimals: what a reader needs to draw it, at a tenth of the bytes. */
    static List<List<Double>> grid(HeatMap map) {
        List<List<Double>> rows = new ArrayList<>();
        for (int r = 0; r < map.gridHeight(); r++) {
            List<Double> row = new ArrayList<>();
            for (int c = 0; c < map.gridWidth(); c++) {
                row.add(Math.round(map.grid()[r * map.gridWidth() + c] * 1000) / 1000.0);
            }
            rows.add(row);
        }
        return rows;
    }

    private static Box box(dev.unmask.media.face.Box b) {
        return new Box(round(b.x()), round(b.y()), round(b.width()), round(b.height()));
    }

    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
