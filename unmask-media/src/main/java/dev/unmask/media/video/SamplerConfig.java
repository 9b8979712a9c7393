package dev.unmask.media.video;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.MediaLimits;

/**
 * How to sample a video.
 *
 * @param frames how many frames to keep (evenly spaced in time)
 * @param seekAboveSeconds videos longer than this are sampled by seeking rather than decoding every frame...
 * @param seekGapSeconds ...when consecutive samples are at least this far apart (seeking re-decodes from
 *     the previous keyframe, which only pays off when it skips more than a GOP)
 * @param decoderThreads FFmpeg decoder threads (0 = FFmpeg decides); 1 when videos are decoded in parallel
 * @param limits caps for untrusted files
 */
public record SamplerConfig(int frames, double seekAboveSeconds, double seekGapSeconds, int decoderThreads, MediaLimits limits) {
    public static final int DEFAULT_FRAMES = 32;
    public static final SamplerConfig DEFAULT = new SamplerConfig(DEFAULT_FRAMES, 120, 4, 0, MediaLimits.DEFAULT);

    public SamplerConfig {
        if (frames < 1 || frames > 100_000) {
            throw new UserError("--frames must be between 1 and 100000, got " + frames);
        }
        if (decoderThreads < 0 || decoderThreads > 64) {
            throw new UserError("decoder threads must be between 0 and 64, got " + decoderThreads);
        }
    }

    public SamplerConfig withFrames(int n) {
        return new SamplerConfig(n, seekAboveSeconds, seekGapSeconds, decoderThreads, limits);
    }

    public SamplerConfig withLimits(MediaLimits l) {
        return new SamplerConfig(frames, seekAboveSeconds, seekGapSeconds, decoderThreads, l);
    }

    public SamplerConfig withDecoderThreads(int threads) {
        return new SamplerConfig(frames, seekAboveSeconds, seekGapSeconds, threads, limits);
    }

    public SamplerConfig withSeeking(double aboveSeconds, double gapSeconds) {
        return new SamplerConfig(frames, aboveSeconds, gapSeconds, decoderThreads, limits);
    }
}
