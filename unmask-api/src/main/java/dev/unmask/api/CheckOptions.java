package dev.unmask.api;

import dev.unmask.core.UserError;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.media.face.FaceSelection;
import java.nio.file.Path;

/**
 * How files are checked. Start from {@link #defaults()} and change what you need:
 * {@code CheckOptions.defaults().withFrames(16).withExplanations(Path.of("out"))}.
 *
 * @param frames        frames sampled per video, evenly in time
 * @param faces         one face per frame (the largest) or every face, followed across frames
 * @param batch         face crops per model call (8-16 are fastest on 2 cores)
 * @param explain       write heat-map overlays of each file's most suspicious faces and a contact sheet
 * @param explainTop    overlays per file
 * @param explainMethod explanation method, or null for the detector's own (by its training approach)
 * @param out           folder for overlays and, in a batch, for the results kept as each file is done
 *                      (reports.jsonl, then report.json); null: nothing written
 * @param resume        what a batch does with results an earlier run left in {@code out}
 * @param autoFrames    sample videos adaptively ({@code --frames auto}): a quarter, then half, then all of the grid of
 *                      {@code frames}, stopping once more frames are unlikely to change the verdict
 */
public record CheckOptions(int frames, FaceSelection faces, int batch, boolean explain, int explainTop, ExplanationMethod explainMethod, Path out,
        Resume resume, boolean autoFrames) {
    /** With a fixed number of frames. */
    public CheckOptions(int frames, FaceSelection faces, int batch, boolean explain, int explainTop, ExplanationMethod explainMethod, Path out,
            Resume resume) {
        this(frames, faces, batch, explain, explainTop, explainMethod, out, resume, false);
    }

    /** What a batch does with an earlier run's results in its folder. */
    public enum Resume {
        /** A folder holding an earlier run is refused. */
        NO,
        /** Files the earlier run judged (same path, size and modification time) are not done again. */
        YES,
        /** As YES, but files whose earlier verdict is error are judged again. */
        RETRY_ERRORS
    }

    public CheckOptions {
        if (frames < 1 || frames > 10_000) {
            throw new UserError("frames must be between 1 and 10000, got " + frames);
        }
        if (batch < 1 || batch > 1024) {
            throw new UserError("--batch must be between 1 and 1024, got " + batch);
        }
        if (explainTop < 1 || explainTop > 100) {
            throw new UserError("--explain-top must be between 1 and 100, got " + explainTop);
        }
        if (explain && out == null) {
            throw new UserError("explanations need a folder to be written to");
        }
        if (resume != Resume.NO && out == null) {
            throw new UserError("--resume needs --out DIR, the folder of the run to finish");
        }
        if (faces == null || resume == null) {
            throw new NullPointerException("faces and resume must be given");
        }
    }

    /** 32 frames, the largest face per frame, batches of 16, no explanations, nothing written. */
    public static CheckOptions defaults() {
        return new CheckOptions(32, FaceSelection.LARGEST, 16, false, 3, null, null, Resume.NO);
    }

    /** A fixed number of frames per video. */
    public CheckOptions withFrames(int n) {
        return new CheckOptions(n, faces, batch, explain, explainTop, explainMethod, out, resume, false);
    }

    /**
     * Adaptive sampling ({@code --frames auto}) on the grid of {@code frames} (32 by default):
     * verdicts differ from the whole grid's in about 0.1% of simulated videos, at about 60% of the
     * frames (docs/BENCHMARKS.md).
     */
    public CheckOptions withAutoFrames() {
        return new CheckOptions(frames, faces, batch, explain, explainTop, explainMethod, out, resume, true);
    }

    public CheckOptions withFaces(FaceSelection s) {
        return new CheckOptions(frames, s, batch, explain, explainTop, explainMethod, out, resume, autoFrames);
    }

    public CheckOptions withBatch(int n) {
        return new CheckOptions(frames, faces, n, explain, explainTop, explainMethod, out, resume, autoFrames);
    }

    /** Results (and, with explanations, overlays) kept in {@code dir}. */
    public CheckOptions withOut(Path dir) {
        return new CheckOptions(frames, faces, batch, explain, explainTop, explainMethod, dir, resume, autoFrames);
    }

    /** Overlays of the {@code top} most suspicious faces per file, by {@code method} (null: the detector's own), into {@code out}. */
    public CheckOptions withExplanations(int top, ExplanationMethod method) {
        return new CheckOptions(frames, faces, batch, true, top, method, out, resume, autoFrames);
    }

    public CheckOptions withResume(Resume r) {
        return new CheckOptions(frames, faces, batch, explain, explainTop, explainMethod, out, r, autoFrames);
    }
}
