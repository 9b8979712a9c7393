package dev.unmask.media.detect;

import dev.unmask.core.UserError;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.media.face.FaceEvidence;
import java.nio.file.Path;

/**
 * @param batch         crops per model call (8–16 were fastest on 2 cores)
 * @param explain       write overlays and a contact sheet per file into {@code out}
 * @param explainTop    overlays per file: its most suspicious crops
 * @param method        explanation method, or null for the detector's own (by its training approach)
 * @param out           folder for overlays and contact sheets (needed with {@code explain})
 * @param queueFrames   frames the decoding thread may run ahead of the model
 * @param evidence      which detections are faces to judge; a file with none is {@code no_face}
 * @param adaptive      sample videos in stages and stop early by this rule ({@code --frames auto}), or null for every frame of the grid
 */
public record DetectSettings(int batch, boolean explain, int explainTop, ExplanationMethod method, Path out, int queueFrames,
        FaceEvidence evidence, AdaptiveSampling adaptive) {
    /** Every frame of the grid. */
    public DetectSettings(int batch, boolean explain, int explainTop, ExplanationMethod method, Path out, int queueFrames,
            FaceEvidence evidence) {
        this(batch, explain, explainTop, method, out, queueFrames, evidence, null);
    }

    /** With the default rule for which detections are faces ({@link FaceEvidence#DEFAULT}). */
    public DetectSettings(int batch, boolean explain, int explainTop, ExplanationMethod method, Path out, int queueFrames) {
        this(batch, explain, explainTop, method, out, queueFrames, FaceEvidence.DEFAULT, null);
    }

    public DetectSettings {
        java.util.Objects.requireNonNull(evidence, "evidence");
        if (batch < 1 || batch > 1024) {
            throw new UserError("--batch must be between 1 and 1024, got " + batch);
        }
        if (explainTop < 1 || explainTop > 100) {
            throw new UserError("--explain-top must be between 1 and 100, got " + explainTop);
        }
        if (explain && out == null) {
            throw new IllegalArgumentException("explanations need an output folder");
        }
        if (queueFrames < 1) {
            throw new IllegalArgumentException("queue must hold at least one frame");
        }
    }
}
