package dev.unmask.media.extract;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What an extraction run did.
 *
 * @param videos entries in the dataset
 * @param skipped already finished by an earlier run
 * @param processed done in this run
 * @param ok with at least one face
 * @param noFace without any face (not an error; kept out of the datalists)
 * @param errors failed, with the reason in errors.csv
 * @param splits per split: videos and crops in its datalist
 * @param datalists written datalists
 * @param seconds wall time of this run
 * @param decodeSeconds decoding time summed over videos of this run
 * @param detectSeconds face detection time summed over videos of this run
 * @param framesDetected frames given to the face detector in this run
 */
public record ExtractSummary(int videos, int skipped, int processed, int ok, int noFace, int errors, Map<String, SplitCount> splits,
        List<Path> datalists, double seconds, double decodeSeconds, double detectSeconds, long framesDetected) {
    /** One datalist's content. */
    public record SplitCount(int realVideos, int fakeVideos, long realCrops, long fakeCrops) {}
}
