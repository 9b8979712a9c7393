package dev.unmask.media.detect;

import dev.unmask.core.explain.HeatMap;
import dev.unmask.media.face.Box;
import dev.unmask.media.video.VideoInfo;
import java.nio.file.Path;
import java.util.List;

/**
 * What detect found in one file. Its JSON form is the API's {@code FileCheck} (one schema: docs/schema).
 *
 * @param index      position in the batch (0-based)
 * @param path       the file as it was named or found
 * @param score      the file's fake probability: the highest of its faces' scores, each the mean
 *                   over that face's frames; NaN unless the verdict is fake or real
 * @param faces      every judged face of every sampled frame, in frame order
 * @param weakFaces  detections not judged (too low a confidence, or a track seen in too few frames), in frame order
 * @param media      what decoding learned, or null when the file could not be opened
 * @param explanation overlays and contact sheet, or null without {@code --explain}
 * @param sampling   what adaptive sampling did, or null when a fixed number of frames was sampled
 */
public record FileReport(int index, String path, Verdict verdict, double score, double threshold, int framesSampled, int framesWithFaces,
        List<TrackScore> tracks, List<FaceScore> faces, List<WeakFace> weakFaces, VideoInfo media, Timings timings, String error, Explanation explanation,
        Sampling sampling) {

    /** Adaptive sampling of one video: the grid, the frames it gives this video, those sampled, the stages, and why it stopped. */
    public record Sampling(int grid, int planned, int sampled, int stages, String stopped) {}

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
}
