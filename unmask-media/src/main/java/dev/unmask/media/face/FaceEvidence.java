package dev.unmask.media.face;

import dev.unmask.core.UserError;
import java.util.Locale;

/**
 * When detections are a face worth judging. A face detector sees faces in fractals, text and
 * noise now and then, always weakly or in a frame or two; a real face is found with confidence
 * in most frames it is in. A verdict on a phantom face is a verdict on nothing, so detect judges
 * only faces that pass both tests below, and calls a file with none {@code no_face}.
 *
 * @param minConfidence a detection below this confidence is not a face (Haar, which has no
 *                      confidence, reports 1 and always passes)
 * @param minFrames     a track must be seen in at least this many sampled frames (fewer when
 *                      fewer are sampled: a still image is 1 of 1)
 * @param minFraction   and in at least this fraction of the sampled frames
 */
public record FaceEvidence(double minConfidence, int minFrames, double minFraction) {
    /**
     * Chosen on generated faceless media (FaceEvidenceTuning: fractals, test patterns, cellular
     * automata, gradients, noise, text, photos without people, and 16 videos of blurred colour
     * noise, where BlazeFace sees phantoms most) against the test photos' faces: the phantoms'
     * confidences were 0.60–0.71, 16 of 17 below 0.70, each in a single frame; the real faces'
     * best detection per file was 0.73 (the astronaut's mirror image beside her) to 0.95, some
     * frames of a small, turned face down to 0.64. So 0.70 drops nearly every phantom while
     * keeping every real face, and the track rule stops what passes (phantoms are not seen twice).
     */
    public static final double BLAZEFACE_MIN_CONFIDENCE = 0.70;
    public static final FaceEvidence DEFAULT = new FaceEvidence(BLAZEFACE_MIN_CONFIDENCE, 3, 0.10);
    /** Every detection counts (what extraction does: its crops are reviewed as training data). */
    public static final FaceEvidence ANY = new FaceEvidence(0, 1, 0);

    public FaceEvidence {
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new UserError("minimum face confidence must be between 0 and 1, got " + minConfidence);
        }
        if (minFrames < 1) {
            throw new UserError("a face must be seen in at least 1 frame, got " + minFrames);
        }
        if (!(minFraction >= 0 && minFraction <= 1)) {
            throw new UserError("the fraction of frames a face must be seen in must be between 0 and 1, got " + minFraction);
        }
    }

    public boolean confident(Face face) {
        return face.score() >= minConfidence;
    }

    /** Frames a track needs among {@code framesSampled}: at least min(minFrames, sampled) and minFraction of them. */
    public int framesNeeded(int framesSampled) {
        // The small epsilon keeps 10% of 30 at 3, not 4 by rounding error.
        int byFraction = (int) Math.ceil(minFraction * framesSampled - 1e-9);
        return Math.max(1, Math.max(Math.min(minFrames, framesSampled), byFraction));
    }

    public boolean supported(int trackFrames, int framesSampled) {
        return trackFrames >= framesNeeded(framesSampled);
    }

    /** The rule in words, for reports. */
    public String describe() {
        return String.format(Locale.ROOT, "a face is judged when its detections have confidence >= %.2f and its track is seen in at least"
                + " min(%d, frames sampled) and %.0f%% of the sampled frames; weaker detections are listed as weak_faces, not judged",
                minConfidence, minFrames, minFraction * 100);
    }
}
