package dev.unmask.media.extract;

import dev.unmask.core.UserError;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.face.FaceDetectorKind;
import java.nio.file.Path;

/**
 * One extraction run.
 *
 * @param out output folder: crops under faces/, datalists, settings, per-video state
 * @param detector face detector
 * @param pipeline sampling, crop and selection settings
 * @param workers videos processed at once (each holds one frame and its crops in memory)
 * @param retryErrors redo videos that failed in an earlier run (finished videos are never redone)
 */
public record ExtractConfig(Path out, FaceDetectorKind detector, PipelineConfig pipeline, int workers, boolean retryErrors) {
    public ExtractConfig {
        if (workers < 1 || workers > 256) {
            throw new UserError("--workers must be between 1 and 256, got " + workers);
        }
        if (pipeline.alignment().needsKeypoints() && !detector.findsEyes()) {
            throw new UserError("--align " + pipeline.alignment().cliName() + " needs eye keypoints, and --face-detector " + detector.cliName()
                    + " finds boxes only; use blazeface");
        }
    }
}
