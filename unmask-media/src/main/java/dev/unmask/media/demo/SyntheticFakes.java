package dev.unmask.media.demo;

import dev.unmask.core.UserError;
import dev.unmask.media.ImageFiles;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.FaceDetector;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Video-like frames of a real photo, and synthetic fakes of them whose manipulated region is
 * known: in the manner of self-blended images (Shiohara &amp; Yamasaki, CVPR 2022), the inner face
 * is replaced by a colour-shifted, slightly blurred copy of itself through a soft elliptical
 * mask, which leaves the colour mismatch and blending boundary that face swaps leave. Frames
 * move and zoom like a hand-held camera and go through JPEG, as video frames do through a codec.
 * For demonstrations and tests: a detector trained on these learns these artefacts, not deepfakes.
 */
public final class SyntheticFakes {
    private SyntheticFakes() {}

    /** A photo and the face in it, which the frames are framed around. */
    public record Source(String name, Picture photo, Box face) {}

    /** An ellipse in pixels: centre and semi-axes. */
    public record Ellipse(double cx, double cy, double rx, double ry) {
        public boolean contains(double x, double y) {
            double u = (x - cx) / rx;
            double v = (y - cy) / ry;
            return u * u + v * v <= 1;
        }

        /** 1 well inside, 0 outside, a smooth ramp across the boundary (the blend's feather). */
        double weight(double x, double y) {
            double u = (x - cx) / rx;
            double v = (y - cy) / ry;
            double rho = Math.sqrt(u * u + v * v);
            return Math.max(0, Math.min(1, (1.2 - rho) / 0.4));
        }
    }

    /**
     * Where the camera is: the face's size as a share of the frame side, where its centre is
     * (offsets from the frame centre, as shares of the side), and whether the picture is mirrored.
     */
    public record Pose(double faceShare, double dx, double dy, boolean mirror) {}

    /** @param region the manipulated ellipse in frame pixels, or null for a real frame */
    public record Frame(Picture picture, Ellipse region) {}

    /** Reads a photo and finds its face (the largest one). */
    public static Source source(String name, Path photo, FaceDetector detector) {
        Picture p = ImageFiles.read(photo, MediaLimits.DEFAULT);
        List<Face> faces = detector.detect(p);
        if (faces.isEmpty()) {
            throw new UserError(photo + ": no face found to make sample data from");
        }
        Box box = faces.stream().max(Comparator.comparingDouble(f -> f.box().area())).orElseThrow().box();
        return new Source(name, p, box);
    }

    /** A pose as a hand-held camera gives: face 20–32% of the side, within a tenth of the centre, mirrored half the time. */
    public static Pose randomPose(SplittableRandom r) {
        return new Pose(0.20 + 0.12 * r.nextDouble(), 0.2 * r.nextDouble() - 0.1, 0.2 * r.nextDouble() - 0.1, r.nextBoolean());
    }

    /** The inner face (eyes, nose, mouth) of a face box, where a swap puts its new face. */
    static Ellipse innerFace(Box face) {
        return new Ellipse(face.centerX(), face.centerY() + 0.06 * face.height(), 0.34 * face.width(), 0.40 * face.height());
    }

    /** Where {@link #frame} puts the manipulated ellipse for this pose, in frame pixels. */
    public static Ellipse swappedRegion(Source s, Pose pose, int side) {
        return innerFace(faceInFrame(s, pose, side));
    }

    private static Box faceInFrame(Source s, Pose pose, int side) {
        double scale = scale(s, pose, side);
        double tx = side * (0.5 + pose.dx()) - scale * (pose.mirror() ? s.photo().width() - 1 - s.face().centerX() : s.face().centerX());
        double ty = side * (0.5 + pose.dy()) - scale * s.face().centerY();
        double x = pose.mirror() ? s.photo().width() - 1 - s.face().x() - s.face().width() : s.face().x();
        return new Box(scale * x + tx, scale * s.face().y() + ty, scale * s.face().width(), scale * s.face().height());
    }

    private static double scale(Source s, Pose pose, int side) {
        return pose.faceShare() * side / Math.max(s.face().width(), s.face().height());
    }

    /**
     * One frame of {@code side}² pixels.
     *
     * @param fake        manipulate the inner face
     * @param jpegQuality JPEG quality the frame goes through (1–100), or 0 for none
     */
    public static Frame frame(Source s, Pose pose, int side, boolean fake, int jpegQuality) {
        Natives.opencv();
        double scale = scale(s, pose, side);
        double fx = pose.mirror() ? s.photo().width() - 1 - s.face().centerX() : s.face().centerX();
        double tx = side * (0.5 + pose.dx()) - scale * fx;
        double ty = side * (0.5 + pose.dy()) - scale * s.face().centerY();
        // photo → frame: u = ±scale·x + c, v = scale·y + ty (mirroring flips x about the photo's width)
        double a = pose.mirror() ? -scale : scale;
        double c = pose.mirror() ? tx + scale * (s.photo().width() - 1) : tx;
        Picture framed;
        try (Mat src = s.photo().toMat(); Mat m = new Mat(2, 3, opencv_core.CV_64F); Mat dst = new Mat(); Size size = new Size(side, side);
             Scalar border = new Scalar(0, 0, 0, 0)) {
            double[] affine = {a, 0, c, 0, scale, ty};
            m.data().put(toBytes(affine));
            opencv_imgproc.warpAffine(src, dst, m, size, opencv_imgproc.INTER_AREA, opencv_core.BORDER_REFLECT, border);
            framed = Picture.of(dst);
        }
        Ellipse region = null;
        if (fake) {
            region = swappedRegion(s, pose, side);
            framed = blendIn(framed, region);
        }
        if (jpegQuality > 0) {
            framed = jpeg(framed, jpegQuality);
        }
        return new Frame(framed, region);
    }

    /** A colour-shifted, softened copy of the frame, blended in through the ellipse's feathered mask. */
    static Picture blendIn(Picture frame, Ellipse region) {
        Picture soft;
        try (Mat src = frame.toMat(); Mat dst = new Mat(); Size k = new Size(0, 0)) {
            opencv_imgproc.GaussianBlur(src, dst, k, 1.2);
            soft = Picture.of(dst);
        }
        byte[] out = frame.bgr().clone();
        for (int y = 0; y < frame.height(); y++) {
            for (int x = 0; x < frame.width(); x++) {
                double w = region.weight(x + 0.5, y + 0.5);
                if (w <= 0) {
                    continue;
                }
                int i = (y * frame.width() + x) * 3;
                double b = (soft.bgr()[i] & 0xff) * 0.86;
                double g = (soft.bgr()[i + 1] & 0xff) * 1.0 + 4;
                double r = (soft.bgr()[i + 2] & 0xff) * 1.10 + 14;
                out[i] = mix(out[i], b, w);
                out[i + 1] = mix(out[i + 1], g, w);
                out[i + 2] = mix(out[i + 2], r, w);
            }
        }
        return new Picture(frame.width(), frame.height(), out);
    }

    private static byte mix(byte original, double replacement, double w) {
        double v = (1 - w) * (original & 0xff) + w * replacement;
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }

    static Picture jpeg(Picture p, int quality) {
        try (Mat m = p.toMat(); BytePointer buf = new BytePointer(); IntPointer params = new IntPointer(opencv_imgcodecs.IMWRITE_JPEG_QUALITY, quality)) {
            if (!opencv_imgcodecs.imencode(".jpg", m, buf, params)) {
                throw new IllegalStateException("JPEG encoding failed");
            }
            try (Mat raw = new Mat(1, (int) buf.limit(), opencv_core.CV_8UC1, buf); Mat back = opencv_imgcodecs.imdecode(raw, opencv_imgcodecs.IMREAD_COLOR)) {
                return Picture.of(back);
            }
        }
    }

    private static byte[] toBytes(double[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 8).order(java.nio.ByteOrder.nativeOrder());
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }
}
