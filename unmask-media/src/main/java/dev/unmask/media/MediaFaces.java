package dev.unmask.media;

import dev.unmask.media.video.VideoInfo;
import java.nio.file.Path;
import java.util.List;

/**
 * The faces of one media file.
 *
 * @param file the input
 * @param info how it was decoded (a still image reads as format "image", one frame)
 * @param framesSampled frames looked at
 * @param framesWithFaces of which had at least one face
 * @param crops in frame order, then track order
 * @param decodeSeconds time spent reading and converting frames
 * @param detectSeconds time spent in the face detector
 */
public record MediaFaces(Path file, VideoInfo info, int framesSampled, int framesWithFaces, List<Crop> crops, double decodeSeconds,
        double detectSeconds) {
    public MediaFaces {
        crops = List.copyOf(crops);
    }

    public boolean noFace() {
        return crops.isEmpty();
    }

    public int tracks() {
        return (int) crops.stream().mapToInt(Crop::track).distinct().count();
    }
}
