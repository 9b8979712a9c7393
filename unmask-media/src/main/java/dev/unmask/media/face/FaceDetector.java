package dev.unmask.media.face;

import dev.unmask.media.pixels.FramePixels;
import java.util.List;

/**
 * Finds faces in an upright BGR picture. Implementations hold native state and are not
 * thread-safe: one per thread, closed when done.
 */
public interface FaceDetector extends AutoCloseable {
    /** Faces, most confident first (Haar, which has no score: largest first). */
    List<Face> detect(FramePixels picture);

    /** Whether faces come with keypoints, the eyes first (what eye alignment turns crops by). */
    default boolean findsEyes() {
        return false;
    }

    /** What made the boxes, exactly enough to be part of a crop contract (name and model hash). */
    String id();

    @Override
    void close();
}
