package dev.unmask.media.video;

/**
 * What was learned about a video while sampling it.
 *
 * @param format FFmpeg's container name
 * @param codec decoder name
 * @param width upright width (after rotation)
 * @param height upright height
 * @param rotation degrees clockwise applied to make frames upright (to the first sampled frame: an
 *     orientation SEI in the stream can change it from one keyframe to the next)
 * @param mirrored whether that frame was mirrored left to right (before the rotation), as its display matrix asks
 * @param declaredSeconds duration the container states (NaN if none)
 * @param frameCount frames found by demuxing, or -1 when sampled by seeking
 * @param seeked whether samples were reached by seeking
 * @param damaged whether demuxing or decoding met damaged or missing data (the frames returned are still whole)
 */
public record VideoInfo(String format, String codec, int width, int height, int rotation, boolean mirrored, double declaredSeconds,
        int frameCount, boolean seeked, boolean damaged) {}
