package dev.unmask.media.crop;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.FramePixels;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.Point;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Square crops around face boxes: side = margin × the box's longer side, centred on the box.
 * Parts of the square outside the frame are filled with black rather than the square being
 * shifted or squeezed, so the face keeps its place and proportions in every crop. With
 * {@link Alignment#EYES} the same square is turned about its centre by the angle of the eye line.
 * With {@link Alignment#GEND} the crop is GenD's aligned face instead ({@link GenDTemplate}): the
 * frame warped straight to the crop's size by the similarity that puts the keypoints on GenD's
 * template, the margin being GenD's scale and the kernel the warp's sampling.
 */
public final class FaceCropper {
    private final double margin;
    private final int size;
    private final ResizeKernel kernel;
    private final Alignment alignment;

    public FaceCropper(double margin, int size, ResizeKernel kernel) {
        this(margin, size, kernel, Alignment.NONE);
    }

    public FaceCropper(double margin, int size, ResizeKernel kernel, Alignment alignment) {
        this.margin = margin;
        this.size = size;
        this.kernel = kernel;
        this.alignment = alignment;
    }

    /** The square region, in frame pixels (may extend past the frame), before any turn. */
    public Box region(Box face) {
        return boxRegion(face);
    }

    /**
     * The square of the frame a face's crop shows, before any turn: for GenD's alignment the
     * square the warp samples (turned about its centre by the fit's angle), otherwise {@link #region(Box)}.
     */
    public Box region(Face face) {
        if (alignment != Alignment.GEND) {
            return boxRegion(face.box());
        }
        GenDTemplate.Similarity toFrame = GenDTemplate.fit(face, margin, size).inverse();
        Point centre = toFrame.apply(new Point(size / 2.0, size / 2.0));
        double side = size * toFrame.scale();
        return new Box(centre.x() - side / 2, centre.y() - side / 2, side, side);
    }

    private Box boxRegion(Box face) {
        double side = Math.max(1, Math.round(Math.max(face.width(), face.height()) * margin));
        double x0 = Math.round(face.centerX() - side / 2);
        double y0 = Math.round(face.centerY() - side / 2);
        return new Box(x0, y0, side, side);
    }

    /** The crop of a detected face, turned when this cropper aligns (which needs the face's eye keypoints). */
    public Picture crop(FramePixels frame, Face face) {
        if (alignment == Alignment.NONE) {
            return crop(frame, face.box());
        }
        if (alignment == Alignment.GEND) {
            return warped(frame, GenDTemplate.fit(face, margin, size), size, kernel);
        }
        if (face.keypoints().size() < 2) {
            throw new UserError("eye alignment needs eye keypoints, and this face detector gives none (use BlazeFace)");
        }
        try (Mat square = turned(frame, region(face.box()), eyeAngle(face))) {
            return resize(square);
        }
    }

    /**
     * The unturned crop of a box. The square is cut and resized in native memory, so a crop costs
     * the heap only its final size however large the face is in a large frame.
     */
    public Picture crop(FramePixels frame, Box face) {
        Box r = region(face);
        int side = (int) r.width();
        int x0 = (int) r.x();
        int y0 = (int) r.y();
        int fromX = Math.max(0, x0);
        int toX = Math.min(frame.width(), x0 + side);
        int fromY = Math.max(0, y0);
        int toY = Math.min(frame.height(), y0 + side);
        Natives.opencv();
        try (Scalar black = new Scalar(0, 0, 0, 0); Mat square = new Mat(side, side, opencv_core.CV_8UC3, black)) {
            if (fromX < toX && fromY < toY) {
                frame.copyRegion(fromX, fromY, toX - fromX, toY - fromY, square, fromX - x0, fromY - y0);
            }
            return resize(square);
        }
    }

    /** Radians from the frame's x axis to the line from the subject's right eye to their left (y pointing down). */
    public static double eyeAngle(Face face) {
        Point right = face.keypoints().get(0);
        Point left = face.keypoints().get(1);
        return Math.atan2(left.y() - right.y(), left.x() - right.x());
    }

    /**
     * The square {@code r} turned by {@code angle} about its centre: the crop's x axis runs along
     * the eye line. Sampled at full resolution, so that the resize after it is the same as for
     * unturned crops; at angle 0 it is exactly the unturned square.
     */
    private static Mat turned(FramePixels frame, Box r, double angle) {
        int side = (int) r.width();
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        // Crop pixel (u, v) samples the frame at centre + R(angle)·(u + ½ − side/2, v + ½ − side/2), minus ½ for pixel centres.
        double cx = r.x() + side / 2.0;
        double cy = r.y() + side / 2.0;
        double h = 0.5 - side / 2.0;
        Natives.opencv();
        Mat dst = new Mat();
        try (Mat src = frame.toMat();
             Mat cropToFrame = new Mat(2, 3, opencv_core.CV_64F);
             DoubleIndexer m = cropToFrame.createIndexer();
             Size to = new Size(side, side);
             Scalar black = new Scalar(0, 0, 0, 0)) {
            m.put(0, 0, cos).put(0, 1, -sin).put(0, 2, cx - 0.5 + h * (cos - sin));
            m.put(1, 0, sin).put(1, 1, cos).put(1, 2, cy - 0.5 + h * (sin + cos));
            opencv_imgproc.warpAffine(src, dst, cropToFrame, to, opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
                    opencv_core.BORDER_CONSTANT, black);
            return dst;
        } catch (RuntimeException e) {
            dst.close();
            throw e;
        }
    }

    /**
     * The frame seen through {@code frameToCrop} (continuous coordinates) in a {@code side}-pixel
     * square, sampled once with {@code kernel}; black outside the frame.
     */
    static Picture warped(FramePixels frame, GenDTemplate.Similarity frameToCrop, int side, ResizeKernel kernel) {
        // OpenCV maps pixel indices, whose centres are at +½ in continuous coordinates: shift in, map, shift out.
        double a = frameToCrop.a();
        double b = frameToCrop.b();
        double tx = frameToCrop.tx() + 0.5 * (a - b) - 0.5;
        double ty = frameToCrop.ty() + 0.5 * (b + a) - 0.5;
        Natives.opencv();
        try (Mat src = frame.toMat();
             Mat dst = new Mat();
             Mat m = new Mat(2, 3, opencv_core.CV_64F);
             DoubleIndexer i = m.createIndexer();
             Size to = new Size(side, side);
             Scalar black = new Scalar(0, 0, 0, 0)) {
            i.put(0, 0, a).put(0, 1, -b).put(0, 2, tx);
            i.put(1, 0, b).put(1, 1, a).put(1, 2, ty);
            opencv_imgproc.warpAffine(src, dst, m, to, kernel.opencvFlag, opencv_core.BORDER_CONSTANT, black);
            return Picture.of(dst);
        }
    }

    private Picture resize(Mat square) {
        if (square.cols() == size) {
            return Picture.of(square);
        }
        try (Mat dst = new Mat(); Size to = new Size(size, size)) {
            opencv_imgproc.resize(square, dst, to, 0, 0, kernel.opencvFlag);
            return Picture.of(dst);
        }
    }
}
