package dev.unmask.media.pixels;

import dev.unmask.core.UserError;

/**
 * Caps for untrusted media. Every check happens before the work it bounds: frame size is read
 * from the container and codec headers before a frame is allocated, duration before decoding.
 *
 * @param maxDurationSeconds longest video accepted
 * @param maxPixels largest frame (width × height) accepted, video frames and images alike
 * @param maxDecodeSeconds wall-clock budget for decoding one file
 * @param maxFacesPerFrame detections kept per frame (highest scores first); more are dropped
 * @param maxFileBytes largest file accepted
 */
public record MediaLimits(double maxDurationSeconds, long maxPixels, double maxDecodeSeconds, int maxFacesPerFrame,
        long maxFileBytes) {
    /** 4 h, 8K UHD, 5 min of decoding, 16 faces, 16 GiB: generous for datasets, bounded for bombs. */
    public static final MediaLimits DEFAULT = new MediaLimits(4 * 3600, 7680L * 4320, 300, 16, 16L << 30);

    public MediaLimits {
        if (!(maxDurationSeconds > 0) || maxPixels <= 0 || !(maxDecodeSeconds > 0) || maxFacesPerFrame <= 0 || maxFileBytes <= 0) {
            throw new UserError("media limits must be positive");
        }
    }

    public MediaLimits withMaxPixels(long pixels) {
        return new MediaLimits(maxDurationSeconds, pixels, maxDecodeSeconds, maxFacesPerFrame, maxFileBytes);
    }

    public MediaLimits withMaxDurationSeconds(double seconds) {
        return new MediaLimits(seconds, maxPixels, maxDecodeSeconds, maxFacesPerFrame, maxFileBytes);
    }

    public MediaLimits withMaxDecodeSeconds(double seconds) {
        return new MediaLimits(maxDurationSeconds, maxPixels, seconds, maxFacesPerFrame, maxFileBytes);
    }

    public MediaLimits withMaxFacesPerFrame(int faces) {
        return new MediaLimits(maxDurationSeconds, maxPixels, maxDecodeSeconds, faces, maxFileBytes);
    }

    /** Refuses a declared frame size over the cap; called with header values, before any allocation. */
    public void checkFrameSize(Object source, long width, long height) {
        if (width <= 0 || height <= 0) {
            throw new UserError(source + ": declares an invalid frame size " + width + "x" + height);
        }
        if (width > Integer.MAX_VALUE / 4 || height > Integer.MAX_VALUE / 4 || width * height > maxPixels) {
            throw new UserError(source + ": frame size " + width + "x" + height + " is over the limit of "
                    + maxPixels + " pixels");
        }
    }
}
