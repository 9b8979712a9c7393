package dev.unmask.media.video;

import dev.unmask.media.pixels.Picture;

/**
 * A sampled frame, upright.
 *
 * @param frameNumber position in presentation order (0-based); estimated from the frame rate when sampled by seeking
 * @param seconds presentation time from the stream's start
 */
public record VideoFrame(int frameNumber, double seconds, Picture picture) {}
