package dev.unmask.media.pixels;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An upright 8-bit BGR frame that faces are found in and crops are cut from: a {@link Picture} on
 * the Java heap, or a {@link NativeFrame} that a decoder refills for every frame (no per-frame
 * copy onto the heap, so a 16-megapixel video does not leave 48 MB of garbage per frame).
 */
public sealed interface FramePixels permits Picture, NativeFrame {
    int width();

    int height();

    /** The pixels as an OpenCV Mat, to read; the caller closes it (a Picture is copied, a NativeFrame is shared). */
    Mat toMat();

    /** Copies the {@code w} x {@code h} region at ({@code x}, {@code y}), which lies inside the frame, into {@code dst} at ({@code dx}, {@code dy}). */
    void copyRegion(int x, int y, int w, int h, Mat dst, int dx, int dy);

    /** The pixels on the heap, to keep past the call that handed this frame over (a Picture is itself). */
    Picture toPicture();
}
