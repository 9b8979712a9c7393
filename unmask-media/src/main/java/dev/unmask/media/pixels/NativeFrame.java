package dev.unmask.media.pixels;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

/**
 * An 8-bit BGR frame in native memory, refilled in place: one per video (or per working size)
 * rather than one per frame, and freed by {@link #close()} when the video is done rather than
 * whenever the garbage collector gets to it. Its pixels are valid until the owner refills it, so
 * whoever keeps a frame past the call that hands it over copies it ({@link #toPicture()}).
 */
public final class NativeFrame implements FramePixels, AutoCloseable {
    private final Mat mat = new Mat();

    /** Makes room for a {@code width} x {@code height} frame; allocates only when the size changes. */
    public Mat reshape(int width, int height) {
        mat.create(height, width, opencv_core.CV_8UC3);
        return mat;
    }

    /** The Mat refilled in place, for the owner to write into. */
    public Mat mat() {
        return mat;
    }

    @Override
    public int width() {
        return mat.cols();
    }

    @Override
    public int height() {
        return mat.rows();
    }

    @Override
    public Mat toMat() {
        return new Mat(mat);
    }

    @Override
    public void copyRegion(int x, int y, int w, int h, Mat dst, int dx, int dy) {
        try (Rect from = new Rect(x, y, w, h); Mat part = mat.apply(from); Rect at = new Rect(dx, dy, w, h); Mat target = dst.apply(at)) {
            part.copyTo(target);
        }
    }

    /** A copy on the Java heap, to keep. */
    public Picture toPicture() {
        return Picture.of(mat);
    }

    @Override
    public void close() {
        mat.close();
    }
}
