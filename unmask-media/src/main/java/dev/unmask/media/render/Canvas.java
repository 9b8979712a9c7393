package dev.unmask.media.render;

import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.FramePixels;
import dev.unmask.media.pixels.NativeFrame;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.face.Box;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * A black BGR drawing surface in native memory, closed after use. Text uses OpenCV's built-in
 * Hershey font, so nothing depends on the fonts a server has installed (Java2D text needs
 * fontconfig and system fonts).
 */
final class Canvas implements AutoCloseable {
    static final int CAPTION_HEIGHT = 22;
    static final int[] WHITE = {255, 255, 255};
    static final int[] RED = {40, 40, 230};
    static final int[] GREEN = {60, 200, 60};
    static final int[] GREY = {160, 160, 160};

    private final Mat mat;

    Canvas(int width, int height) {
        Natives.opencv();
        mat = new Mat(height, width, opencv_core.CV_8UC3, new Scalar(0, 0, 0, 0));
    }

    /** Copies {@code p} with its top-left corner at (x0, y0), clipped to the canvas. */
    void draw(Picture p, int x0, int y0) {
        int w = Math.min(p.width(), mat.cols() - x0);
        int h = Math.min(p.height(), mat.rows() - y0);
        if (w <= 0 || h <= 0) {
            return;
        }
        try (Mat src = p.toMat(); Rect from = new Rect(0, 0, w, h); Mat part = new Mat(src, from); Rect to = new Rect(x0, y0, w, h);
             Mat roi = new Mat(mat, to)) {
            part.copyTo(roi);
        }
    }

    /** Text with its baseline at (x, y), ASCII only (the Hershey font has no other glyphs). */
    void text(String s, int x, int y, int[] colour) {
        String ascii = s.replaceAll("[^\\x20-\\x7e]", "?");
        try (Point at = new Point(x, y); Scalar c = scalar(colour)) {
            opencv_imgproc.putText(mat, ascii, at, opencv_imgproc.FONT_HERSHEY_SIMPLEX, 0.42, c, 1, opencv_imgproc.LINE_AA, false);
        }
    }

    void rectangle(Box b, int[] colour, int thickness) {
        try (Rect r = new Rect((int) Math.round(b.x()), (int) Math.round(b.y()), (int) Math.round(b.width()), (int) Math.round(b.height()));
             Scalar c = scalar(colour)) {
            opencv_imgproc.rectangle(mat, r, c, thickness, opencv_imgproc.LINE_8, 0);
        }
    }

    private static Scalar scalar(int[] bgrColour) {
        return new Scalar(bgrColour[0], bgrColour[1], bgrColour[2], 0);
    }

    Picture picture() {
        return Picture.of(mat);
    }

    @Override
    public void close() {
        mat.close();
    }

    /** Area-averaged resize when shrinking; nearest when enlarging, so small crops stay crisp. */
    static Picture resize(FramePixels p, int w, int h) {
        if (p.width() == w && p.height() == h) {
            return p instanceof Picture picture ? picture : ((NativeFrame) p).toPicture();
        }
        Natives.opencv();
        int flag = w < p.width() ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_NEAREST;
        try (Mat src = p.toMat(); Mat dst = new Mat(); Size to = new Size(w, h)) {
            opencv_imgproc.resize(src, dst, to, 0, 0, flag);
            return Picture.of(dst);
        }
    }
}
