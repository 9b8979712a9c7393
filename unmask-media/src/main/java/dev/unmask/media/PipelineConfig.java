package dev.unmask.media;

import dev.unmask.core.UserError;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.crop.CropContract;
import dev.unmask.media.crop.ResizeKernel;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.face.FaceTracker;
import dev.unmask.media.video.SamplerConfig;

/**
 * Everything that turns a media file into face crops, apart from the detector itself.
 *
 * @param sampler frames per video and the caps for untrusted files
 * @param margin crop side as a multiple of the face box's longer side
 * @param cropSize crop side in pixels (the model's input)
 * @param kernel interpolation used to resize crops
 * @param alignment whether crops are turned to put the eyes level
 * @param selection largest face per frame, or all faces tracked across frames
 * @param trackMinIou overlap that continues a track from one sample to the next
 */
public record PipelineConfig(SamplerConfig sampler, double margin, int cropSize, ResizeKernel kernel, Alignment alignment,
        FaceSelection selection, double trackMinIou) {
    public static final PipelineConfig DEFAULT = new PipelineConfig(SamplerConfig.DEFAULT, CropContract.DEFAULT_MARGIN,
            CropContract.DEFAULT_SIZE, ResizeKernel.AREA, Alignment.NONE, FaceSelection.LARGEST, FaceTracker.DEFAULT_MIN_IOU);

    public PipelineConfig {
        // Validated where users meet them: the contract checks margin and size.
        CropContract.of("check", margin, cropSize, kernel);
        java.util.Objects.requireNonNull(alignment, "alignment");
        if (alignment == Alignment.GEND && kernel == ResizeKernel.AREA) {
            // The gend crop is sampled once, by its warp, which has no area averaging.
            throw new UserError("gend alignment samples the frame once through its warp, which cannot average areas:"
                    + " use the resize kernel linear (GenD's own), cubic or lanczos, not area");
        }
    }

    public CropContract contract(String detectorId) {
        return CropContract.of(detectorId, margin, cropSize, kernel, alignment);
    }

    public PipelineConfig withSampler(SamplerConfig s) {
        return new PipelineConfig(s, margin, cropSize, kernel, alignment, selection, trackMinIou);
    }

    public PipelineConfig withSelection(FaceSelection s) {
        return new PipelineConfig(sampler, margin, cropSize, kernel, alignment, s, trackMinIou);
    }

    public PipelineConfig withCrop(double m, int size, ResizeKernel k) {
        return new PipelineConfig(sampler, m, size, k, alignment, selection, trackMinIou);
    }

    public PipelineConfig withAlignment(Alignment a) {
        return new PipelineConfig(sampler, margin, cropSize, kernel, a, selection, trackMinIou);
    }
}
