package dev.unmask.media.face;

import java.util.List;

/**
 * A detected face.
 *
 * @param box the detector's box, in pixels
 * @param score the detector's confidence in [0, 1] (Haar has none and reports 1)
 * @param keypoints BlazeFace's six: right eye, left eye, nose tip, mouth, right ear tragion, left ear
 *     tragion (the subject's right and left); empty for Haar
 */
public record Face(Box box, double score, List<Point> keypoints) {
    public Face {
        keypoints = List.copyOf(keypoints);
    }
}
