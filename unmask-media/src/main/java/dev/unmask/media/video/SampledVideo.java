package dev.unmask.media.video;

import java.util.List;

/** The frames kept from one video, in presentation order, and what was learned about it. */
public record SampledVideo(VideoInfo info, List<VideoFrame> frames, double decodeSeconds) {
    public SampledVideo {
        frames = List.copyOf(frames);
    }
}
