package dev.unmask.media.video;

/**
 * What was learned about a video while sampling it.
 *
 * @param format FFmpeg's container name
 * @param codec decoder name
 * @param width upright width (after rotation)
 * @param height upright height
 * @param rotation degrees clockwise applied to make frames upright
 * @param declaredSeconds duration the container states (NaN if none)
 * @param frameCount frames found by demuxing, or -1 when sampled by seeking
 * @param seeked whether samples were reached by seeking
 * @param damaged whether demuxing or decoding met damaged or missing data (the frames returned are still whole)
 */
public record VideoInfo(String format, String codec, int width, int height, int rotation, double declaredSeconds,
        int frameCount, boolean seeked, boolean damaged) {}
