package dev.unmask.media.detect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.explain.HeatMap;
import dev.unmask.media.face.Box;
import dev.unmask.media.video.VideoInfo;
import java.nio.file.Path;
import java.util.List;

/**
 * What detect found in one file.
 *
 * @param index      position in the batch (0-based)
 * @param path       the file as it was named or found
 * @param score      the file's fake probability: the highest of its faces' scores, each the mean
 *                   over that face's frames; NaN unless the verdict is fake or real
 * @param faces      every judged face of every sampled frame, in frame order
 * @param weakFaces  detections not judged (too low a confidence, or a track seen in too few frames), in frame order
 * @param media      what decoding learned, or null when the file could not be opened
 * @param explanation overlays and contact sheet, or null without {@code --explain}
 */
public record FileReport(int index, String path, Verdict verdict, double score, double threshold, int framesSampled, int framesWithFaces,
        List<TrackScore> tracks, List<FaceScore> faces, List<WeakFace> weakFaces, VideoInfo media, Timings timings, String error, Explanation explanation) {

    /** One person's score: the mean fake probability over the frames their face was found in. */
    public record TrackScore(int track, double score, int frames) {}

    /**
     * @param box            the face detector's box, in frame pixels
     * @param faceConfidence the face detector's confidence
     * @param score          the detector's fake probability for this crop
     */
    public record FaceScore(int frame, double seconds, int track, Box box, double faceConfidence, double score) {}

    /**
     * A detection that did not count as a face to judge.
     *
     * @param track  its track, or -1 when set aside before tracking (too low a confidence)
     * @param reason why it was not judged, in words
     */
    public record WeakFace(int frame, double seconds, int track, Box box, double faceConfidence, String reason) {}

    /**
     * Seconds spent on this file: decoding, face detection, the model (its share of batches),
     * explanations, and all told; and, counted from the file's start, when the model first ran on
     * its faces and when its last frame was decoded (the first before the second: the pipeline at
     * work). NaN where there was nothing to time.
     */
    public record Timings(double decode, double faces, double model, double explain, double wall, double firstModelAt, double decodedAt) {}

    /** @param map the normalised heat map on the model's input grid */
    public record Overlay(Path file, int frame, double seconds, int track, double score, HeatMap map) {}

    /** @param error why explanations could not be made (the verdict stands), or null */
    public record Explanation(String method, List<Overlay> overlays, Path contactSheet, String error) {}

    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("path", path);
        o.put("verdict", verdict.id());
        number(o, "score", score);
        number(o, "threshold", threshold);
        o.put("frames", framesSampled);
        o.put("frames_with_faces", framesWithFaces);
        o.put("faces", tracks.size());
        if (error == null) {
            o.putNull("error");
        } else {
            o.put("error", error);
        }
        ArrayNode ts = o.putArray("face_scores");
        for (TrackScore t : tracks) {
            ObjectNode n = ts.addObject();
            n.put("track", t.track());
            number(n, "score", t.score());
            n.put("frames", t.frames());
        }
        ArrayNode fs = o.putArray("frame_scores");
        for (FaceScore s : faces) {
            ObjectNode n = fs.addObject();
            n.put("frame", s.frame());
            number(n, "seconds", s.seconds());
            n.put("track", s.track());
            number(n, "score", s.score());
            box(n, s.box());
            number(n, "face_confidence", s.faceConfidence());
        }
        ArrayNode wf = o.putArray("weak_faces");
        for (WeakFace w : weakFaces) {
            ObjectNode n = wf.addObject();
            n.put("frame", w.frame());
            number(n, "seconds", w.seconds());
            n.put("track", w.track());
            box(n, w.box());
            number(n, "face_confidence", w.faceConfidence());
            n.put("reason", w.reason());
        }
        if (media != null) {
            ObjectNode m = o.putObject("media");
            m.put("format", media.format());
            m.put("codec", media.codec());
            m.put("width", media.width());
            m.put("height", media.height());
            m.put("rotation", media.rotation());
            m.put("mirrored", media.mirrored());
            number(m, "declared_seconds", media.declaredSeconds());
            m.put("damaged", media.damaged());
        }
        ObjectNode t = o.putObject("timings");
        number(t, "decode_s", timings.decode());
        number(t, "faces_s", timings.faces());
        number(t, "model_s", timings.model());
        number(t, "explain_s", timings.explain());
        number(t, "wall_s", timings.wall());
        number(t, "first_model_at_s", timings.firstModelAt());
        number(t, "decoded_at_s", timings.decodedAt());
        if (explanation != null) {
            ObjectNode e = o.putObject("explanation");
            e.put("method", explanation.method());
            if (explanation.contactSheet() != null) {
                e.put("contact_sheet", explanation.contactSheet().toString());
            }
            if (explanation.error() != null) {
                e.put("error", explanation.error());
            }
            ArrayNode ov = e.putArray("overlays");
            for (Overlay x : explanation.overlays()) {
                ObjectNode n = ov.addObject();
                n.put("file", x.file().toString());
                n.put("frame", x.frame());
                number(n, "seconds", x.seconds());
                n.put("track", x.track());
                number(n, "score", x.score());
                n.put("patch_size", x.map().patchSize());
                ArrayNode grid = n.putArray("heat_grid");
                for (int r = 0; r < x.map().gridHeight(); r++) {
                    ArrayNode row = grid.addArray();
                    for (int c = 0; c < x.map().gridWidth(); c++) {
                        row.add(Math.round(x.map().grid()[r * x.map().gridWidth() + c] * 1000) / 1000.0);
                    }
                }
            }
        }
        return o;
    }

    private static void box(ObjectNode n, Box box) {
        ObjectNode b = n.putObject("box");
        b.put("x", round(box.x()));
        b.put("y", round(box.y()));
        b.put("width", round(box.width()));
        b.put("height", round(box.height()));
    }

    /** JSON has no NaN or infinity: such a value is written as null. */
    static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
