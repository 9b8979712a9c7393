package dev.unmask.media.crop;

import dev.unmask.media.Natives;
import dev.unmask.media.Picture;
import dev.unmask.media.face.Box;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Square crops around face boxes: side = margin × the box's longer side, centred on the box.
 * Parts of the square outside the frame are filled with black rather than the square being
 * shifted or squeezed, so the face keeps its place and proportions in every crop.
 */
public final class FaceCropper {
    private final double margin;
    private final int size;
    private final ResizeKernel kernel;

    public FaceCropper(double margin, int size, ResizeKernel kernel) {
        this.margin = margin;
        this.size = size;
        this.kernel = kernel;
    }

    /** The square region, in frame pixels (may extend past the frame). */
    public Box region(Box face) {
        double side = Math.max(1, Math.round(Math.max(face.width(), face.height()) * margin));
        double x0 = Math.round(face.centerX() - side / 2);
        double y0 = Math.round(face.centerY() - side / 2);
        return new Box(x0, y0, side, side);
    }

    public Picture crop(Picture frame, Box face) {
        Box r = region(face);
        int side = (int) r.width();
        int x0 = (int) r.x();
        int y0 = (int) r.y();
        byte[] square = new byte[side * side * 3];
        int fromX = Math.max(0, x0);
        int toX = Math.min(frame.width(), x0 + side);
        int fromY = Math.max(0, y0);
        int toY = Math.min(frame.height(), y0 + side);
        if (fromX < toX) {
            for (int y = fromY; y < toY; y++) {
                System.arraycopy(frame.bgr(), (y * frame.width() + fromX) * 3, square, ((y - y0) * side + (fromX - x0)) * 3, (toX - fromX) * 3);
            }
        }
        Picture p = new Picture(side, side, square);
        if (side == size) {
            return p;
        }
        Natives.init();
        try (Mat src = p.toMat(); Mat dst = new Mat(); Size to = new Size(size, size)) {
            opencv_imgproc.resize(src, dst, to, 0, 0, kernel.opencvFlag);
            return Picture.of(dst);
        }
    }
}
