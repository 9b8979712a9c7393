package dev.unmask.media.crop;

import dev.unmask.core.UserError;
import dev.unmask.media.face.BlazeFace;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.Point;
import java.util.List;

/**
 * Where GenD puts a face (Yermakov et al., WACV 2026, github yermandy/GenD, {@code align_face}):
 * five landmarks on a template in unit coordinates of the face (eyes at (0.34, 0.46) and (0.66,
 * 0.46), nose (0.5, 0.64), mouth corners (0.37, 0.82) and (0.63, 0.82)), with the square
 * enlarged by GenD's scale about its centre, so that a template point p lands at
 * {@code (p + (scale - 1)/2) / scale} of the crop's side (at scale 1.3 the eyes sit at x 0.377 and
 * 0.623, y 0.469). GenD fits the similarity from RetinaFace's five landmarks with OpenCV's LMedS
 * estimator, whose final step is a least-squares refinement over the inliers, all five for a
 * face; it warps to 256 × 256 with bilinear sampling and black outside the frame. Template points
 * are taken here in continuous pixel coordinates (the crop spans [0, side]); GenD writes them as
 * OpenCV pixel indices, half a pixel apart, far less than the two landmark sets differ by.
 *
 * <p>BlazeFace gives right eye, left eye, nose tip, mouth centre and the two ear tragions. Only
 * the eyes are placed: the similarity through BlazeFace's two eyes and the template's is exact, so
 * the eyes land on GenD's template. Measured on GenD's 32 example crops (RetinaFace-aligned
 * FF++ and Celeb-DF frames in its repo, aligned again here), placing the eyes alone moved them
 * least: 7.4 px RMS of 256 on average (at most 11.5), against 9.3 (15.5) with BlazeFace's mouth
 * centre on the mouth corners' midpoint in a least-squares fit and 9.2 with the nose as well;
 * BlazeFace's mouth and nose do not sit where RetinaFace's do on turned heads. The ears have no
 * place on the template. {@link #leastSquares} is the general weighted fit (GenD's estimator ends
 * in one over its five points); with two points it is the exact similarity.
 */
public final class GenDTemplate {
    /** The template in unit coordinates, as GenD writes it: the subject's right eye is on the image's left. */
    public static final Point RIGHT_EYE = new Point(0.34, 0.46);
    public static final Point LEFT_EYE = new Point(0.66, 0.46);
    /** GenD's crop side for its training and test sets (its {@code detector.py --target_size}), and its scale. */
    public static final int SIZE = 256;
    public static final double SCALE = 1.3;

    private static final Point[] TEMPLATE = {RIGHT_EYE, LEFT_EYE};
    /** BlazeFace keypoint index for each template point (right eye, left eye), and its weight in the fit. */
    private static final int[] KEYPOINT = {0, 1};
    private static final double[] WEIGHT = {1, 1};

    private GenDTemplate() {}

    /**
     * The crop contract of GenD's own faces as made here: BlazeFace full-range's keypoints (GenD
     * used RetinaFace's), GenD's scale 1.3 as the margin, 256 × 256, sampled bilinearly by the warp.
     * The detector's preprocessing then resizes to its input size (bicubic) and normalises, as GenD's
     * backbone processor does.
     */
    public static CropContract contract() {
        return CropContract.of(BlazeFace.ID, SCALE, SIZE, ResizeKernel.LINEAR, Alignment.GEND);
    }

    /** A template point in pixels of a crop of side {@code size} made with GenD's {@code scale} (continuous coordinates: the crop spans [0, size]). */
    public static Point inCrop(Point unit, double scale, int size) {
        double shift = (scale - 1) / 2;
        return new Point((unit.x() + shift) / scale * size, (unit.y() + shift) / scale * size);
    }

    /**
     * {@code x' = a·x − b·y + tx}, {@code y' = b·x + a·y + ty}: a rotation by atan2(b, a), a
     * uniform scale hypot(a, b) and a shift, from frame to crop pixels (continuous coordinates).
     */
    public record Similarity(double a, double b, double tx, double ty) {
        public Point apply(Point p) {
            return new Point(a * p.x() - b * p.y() + tx, b * p.x() + a * p.y() + ty);
        }

        public Similarity inverse() {
            double n = a * a + b * b;
            double ia = a / n;
            double ib = -b / n;
            return new Similarity(ia, ib, -(ia * tx - ib * ty), -(ib * tx + ia * ty));
        }

        /** Crop pixels per frame pixel. */
        public double scale() {
            return Math.hypot(a, b);
        }

        /** Radians the frame is turned by on its way into the crop (the negative of the face's tilt). */
        public double angle() {
            return Math.atan2(b, a);
        }
    }

    /** The similarity from frame to crop pixels that places {@code face}'s BlazeFace keypoints on the template. */
    public static Similarity fit(Face face, double scale, int size) {
        List<Point> kp = face.keypoints();
        if (kp.size() < 2) {
            throw new UserError("gend alignment needs eye keypoints, and this face detector gives none (use BlazeFace)");
        }
        Point[] from = new Point[TEMPLATE.length];
        Point[] to = new Point[TEMPLATE.length];
        for (int i = 0; i < TEMPLATE.length; i++) {
            from[i] = kp.get(KEYPOINT[i]);
            to[i] = inCrop(TEMPLATE[i], scale, size);
        }
        return leastSquares(from, to, WEIGHT);
    }

    /** The similarity minimising Σ w·|S(from) − to|² (closed form: centre both sets, then a and b are ratios of sums). */
    static Similarity leastSquares(Point[] from, Point[] to, double[] w) {
        double sw = 0;
        double fx = 0;
        double fy = 0;
        double tx = 0;
        double ty = 0;
        for (int i = 0; i < from.length; i++) {
            sw += w[i];
            fx += w[i] * from[i].x();
            fy += w[i] * from[i].y();
            tx += w[i] * to[i].x();
            ty += w[i] * to[i].y();
        }
        fx /= sw;
        fy /= sw;
        tx /= sw;
        ty /= sw;
        double dot = 0;
        double cross = 0;
        double norm = 0;
        for (int i = 0; i < from.length; i++) {
            double x = from[i].x() - fx;
            double y = from[i].y() - fy;
            double u = to[i].x() - tx;
            double v = to[i].y() - ty;
            dot += w[i] * (x * u + y * v);
            cross += w[i] * (x * v - y * u);
            norm += w[i] * (x * x + y * y);
        }
        if (!(norm > 1e-12)) {
            throw new UserError("gend alignment: the face's keypoints coincide, so no alignment is defined");
        }
        double a = dot / norm;
        double b = cross / norm;
        return new Similarity(a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy));
    }
}
