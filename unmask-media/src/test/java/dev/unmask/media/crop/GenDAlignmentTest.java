package dev.unmask.media.crop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.unmask.core.UserError;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.ImageFiles;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.TestMedia;
import dev.unmask.media.detect.CropRecipe;
import dev.unmask.media.face.BlazeFace;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.Point;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Picture;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Point2D;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GenD's aligned faces ({@link Alignment#GEND}) against ground truth that owes nothing to the code
 * under test: hand-marked landmarks of the astronaut photo, moved by Java2D's own transforms for
 * the turned and scaled versions, and GenD's template as its {@code align_face} states it.
 */
class GenDAlignmentTest {
    static final int SIZE = GenDTemplate.SIZE;
    static final double SCALE = GenDTemplate.SCALE;
    /** GenD's template eyes in the 256-px crop, written out from its definition: ((0.34 + 0.15) / 1.3 · 256, (0.46 + 0.15) / 1.3 · 256). */
    static final Point RIGHT_EYE_IN_CROP = new Point(0.49 / 1.3 * 256, 0.61 / 1.3 * 256);
    static final Point LEFT_EYE_IN_CROP = new Point(0.81 / 1.3 * 256, 0.61 / 1.3 * 256);

    /*
     * Landmarks of astronaut.png (512 x 512), marked by hand on 40x enlargements with a one-pixel
     * grid, in continuous pixel coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)). An eye is
     * the middle of its dark iris: halfway between its leftmost and rightmost dark columns and
     * between the upper lid and its lower edge (the right eye's iris spans columns 200-206, rows
     * 98-103; the left's columns 243-248, rows 100-105; the pupils' darkest pixels agree within a
     * pixel). Mouth corners where the lips meet. Read to about one pixel.
     */
    static final Point HAND_RIGHT_EYE = new Point(204.0, 101.0);
    static final Point HAND_LEFT_EYE = new Point(246.0, 103.0);
    static final Point HAND_MOUTH_RIGHT = new Point(205.5, 141.5);
    static final Point HAND_MOUTH_LEFT = new Point(241.5, 142.5);
    /** The nose tip, harder to place on a frontal photo: just above the nostrils, below the highlight; read to about two pixels. */
    static final Point HAND_NOSE = new Point(222.5, 128.5);

    static BlazeFace blazeFace;
    static BufferedImage astronaut;

    @BeforeAll
    static void open() {
        TestMedia.requireBlazeFaceModel();
        blazeFace = BlazeFace.open();
        astronaut = ImageFiles.read(TestMedia.photo("astronaut.png"), MediaLimits.DEFAULT).toBufferedImage();
    }

    @AfterAll
    static void close() {
        blazeFace.close();
    }

    /** The photo as is, turned, shrunk, enlarged: each a Java2D transform of the frame. */
    static Stream<Arguments> photos() {
        return Stream.of(
                Arguments.of("upright", new AffineTransform(), 512, 512),
                Arguments.of("turned 20 degrees", AffineTransform.getRotateInstance(Math.toRadians(20), 225, 125), 512, 512),
                Arguments.of("turned -35 degrees", AffineTransform.getRotateInstance(Math.toRadians(-35), 225, 125), 512, 512),
                Arguments.of("shrunk to 0.6", AffineTransform.getScaleInstance(0.6, 0.6), 308, 308),
                Arguments.of("enlarged 1.7 and moved", concat(AffineTransform.getTranslateInstance(-150, -40), AffineTransform.getScaleInstance(1.7, 1.7)), 600, 420));
    }

    static AffineTransform concat(AffineTransform first, AffineTransform then) {
        AffineTransform t = new AffineTransform(then);
        t.concatenate(first);
        return t;
    }

    static Picture transformed(AffineTransform t, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        new AffineTransformOp(t, new RenderingHints(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR))
                .filter(astronaut, out);
        return Picture.of(out);
    }

    static Point move(AffineTransform t, Point p) {
        Point2D q = t.transform(new Point2D.Double(p.x(), p.y()), null);
        return new Point(q.getX(), q.getY());
    }

    /**
     * Issue #10's "done when": the recipe puts the eyes on GenD's template, here on the photo and
     * on turned and scaled versions, measured in pixels of the 256-px crop (where GenD's template
     * eyes are 63 px apart).
     *
     * <p>Tolerance. The recipe places BlazeFace's two eyes by an exact similarity, so BlazeFace's
     * eyes land on the template within 2 px (the bound; in fact to rounding). The
     * hand-marked eyes, ground truth that owes nothing to BlazeFace, land as far off as BlazeFace's
     * keypoints miss them: BlazeFace is good to a pixel or two of the photo (×1.5 into the crop),
     * worse on the photo turned −35° (5.7 px in the crop). GenD's own fit of this face's hand-marked
     * five landmarks ({@link #genDFit}) leaves its eyes 2.0 and 3.1 px from the template too, since
     * no face has the template's exact proportions. So: each hand-marked eye within 6 px of the
     * template (2.3% of the crop side), and over the versions and both eyes within 3.5 px on
     * average (3.2 measured); the crop of a turned photo has level eyes (within 4 degrees, as
     * BlazeFace sees them in the crop). The exact geometry, with exact landmarks, is held to 0.25 px
     * by {@link #aFaceOnTheTemplateLandsExactlyOnIt}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("photos")
    void theEyesLandOnGenDsTemplate(String name, AffineTransform t, int w, int h) {
        Picture frame = transformed(t, w, h);
        List<Face> faces = blazeFace.detect(frame);
        assertThat(faces).as("BlazeFace finds the astronaut").hasSize(1);
        Face face = faces.get(0);
        GenDTemplate.Similarity s = GenDTemplate.fit(face, SCALE, SIZE);

        Picture crop = new FaceCropper(SCALE, SIZE, ResizeKernel.LINEAR, Alignment.GEND).crop(frame, face);
        assertThat(crop.width()).isEqualTo(SIZE);
        assertThat(crop.height()).isEqualTo(SIZE);
        List<Face> again = blazeFace.detect(crop);
        assertThat(again).as("BlazeFace finds the face again in the aligned crop").isNotEmpty();
        assertThat(Math.toDegrees(FaceCropper.eyeAngle(again.get(0)))).as("eye line in the crop").isCloseTo(0, within(4.0));

        Point rightHand = s.apply(move(t, HAND_RIGHT_EYE));
        Point leftHand = s.apply(move(t, HAND_LEFT_EYE));
        double right = dist(rightHand, RIGHT_EYE_IN_CROP);
        double left = dist(leftHand, LEFT_EYE_IN_CROP);
        double[] gend = genDFit(Stream.of(HAND_RIGHT_EYE, HAND_LEFT_EYE, HAND_NOSE, HAND_MOUTH_RIGHT, HAND_MOUTH_LEFT).map(p -> move(t, p)).toList());
        System.out.printf(java.util.Locale.ROOT, "gend alignment, %s: hand-marked eyes %.2f and %.2f px from GenD's template (GenD's own fit of"
                + " hand-marked landmarks: %.2f and %.2f px; from it: %.2f and %.2f px)%n", name, right, left,
                dist(apply(gend, move(t, HAND_RIGHT_EYE)), RIGHT_EYE_IN_CROP), dist(apply(gend, move(t, HAND_LEFT_EYE)), LEFT_EYE_IN_CROP),
                dist(rightHand, apply(gend, move(t, HAND_RIGHT_EYE))), dist(leftHand, apply(gend, move(t, HAND_LEFT_EYE))));
        // The recipe itself, given BlazeFace's landmarks: its eyes go onto the template's eyes.
        double rightKp = dist(s.apply(face.keypoints().get(0)), RIGHT_EYE_IN_CROP);
        double leftKp = dist(s.apply(face.keypoints().get(1)), LEFT_EYE_IN_CROP);
        System.out.printf(java.util.Locale.ROOT, "gend alignment, %s: BlazeFace's eyes %.2f and %.2f px from GenD's template%n", name, rightKp, leftKp);
        assertThat(rightKp).as("BlazeFace's right eye, px from the template").isLessThan(2.0);
        assertThat(leftKp).as("BlazeFace's left eye, px from the template").isLessThan(2.0);
        assertThat(right).as("hand-marked right eye, px from the template").isLessThan(6.0);
        assertThat(left).as("hand-marked left eye, px from the template").isLessThan(6.0);
        EYE_ERRORS.add(right);
        EYE_ERRORS.add(left);
    }

    static final List<Double> EYE_ERRORS = java.util.Collections.synchronizedList(new ArrayList<>());

    @AfterAll
    static void onAverageTheEyesAreCloser() {
        if (EYE_ERRORS.size() == 2 * photos().count()) {
            double mean = EYE_ERRORS.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertThat(mean).as("mean px of the hand-marked eyes from the template").isLessThan(3.5);
        }
    }

    @Test
    void genDsOwnFitOfTheHandMarksIsWhatItsTemplateSays() {
        // A check of the reference itself: five landmarks that are an exact similarity image of
        // the template come back onto it, whatever the turn.
        AffineTransform t = AffineTransform.getRotateInstance(0.4, 30, 40);
        t.scale(0.7, 0.7);
        List<Point> landmarks = new ArrayList<>();
        for (double[] p : GEND_TEMPLATE) {
            landmarks.add(move(t, new Point((p[0] + 0.15) / 1.3 * 256, (p[1] + 0.15) / 1.3 * 256)));
        }
        double[] f = genDFit(landmarks);
        assertThat(dist(apply(f, landmarks.get(0)), RIGHT_EYE_IN_CROP)).isLessThan(1e-9);
        assertThat(dist(apply(f, landmarks.get(4)), new Point(0.78 / 1.3 * 256, 0.97 / 1.3 * 256))).isLessThan(1e-9);
    }

    /**
     * A drawn face whose eyes and mouth are where a similarity (Java2D's) takes GenD's template:
     * the recipe's transform brings them back exactly, and its warp puts the drawn eyes' pixels
     * there, within a quarter pixel (the centroid of each drawn eye in the crop).
     */
    @Test
    void aFaceOnTheTemplateLandsExactlyOnIt() {
        AffineTransform cropToFrame = AffineTransform.getTranslateInstance(300, 140);
        cropToFrame.rotate(Math.toRadians(-28));
        cropToFrame.scale(0.55, 0.55);
        Point rightEye = move(cropToFrame, RIGHT_EYE_IN_CROP);
        Point leftEye = move(cropToFrame, LEFT_EYE_IN_CROP);
        Point mouth = move(cropToFrame, new Point(0.65 / 1.3 * 256, 0.97 / 1.3 * 256));
        BufferedImage img = new BufferedImage(520, 400, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        for (Point p : List.of(rightEye, leftEye)) {
            g.fill(new Ellipse2D.Double(p.x() - 4, p.y() - 4, 8, 8));
        }
        g.dispose();
        Face face = new Face(new Box(200, 100, 150, 150), 1, List.of(rightEye, leftEye, new Point(0, 0), mouth));
        GenDTemplate.Similarity s = GenDTemplate.fit(face, SCALE, SIZE);
        assertThat(dist(s.apply(rightEye), RIGHT_EYE_IN_CROP)).isLessThan(1e-9);
        assertThat(dist(s.apply(leftEye), LEFT_EYE_IN_CROP)).isLessThan(1e-9);
        assertThat(s.scale()).isCloseTo(1 / 0.55, within(1e-9));

        Picture crop = new FaceCropper(SCALE, SIZE, ResizeKernel.LINEAR, Alignment.GEND).crop(Picture.of(img), face);
        assertThat(dist(brightCentroid(crop, RIGHT_EYE_IN_CROP, 14), RIGHT_EYE_IN_CROP)).isLessThan(0.25);
        assertThat(dist(brightCentroid(crop, LEFT_EYE_IN_CROP, 14), LEFT_EYE_IN_CROP)).isLessThan(0.25);
        // The region is the square the crop shows: its centre is the crop's centre taken back into the frame.
        Box r = new FaceCropper(SCALE, SIZE, ResizeKernel.LINEAR, Alignment.GEND).region(face);
        Point centre = move(cropToFrame, new Point(128, 128));
        assertThat(r.centerX()).isCloseTo(centre.x(), within(1e-6));
        assertThat(r.centerY()).isCloseTo(centre.y(), within(1e-6));
        assertThat(r.width()).isCloseTo(256 * 0.55, within(1e-6));
    }

    /** Centre of brightness (continuous coordinates) within {@code radius} of {@code near}. */
    static Point brightCentroid(Picture p, Point near, int radius) {
        double sum = 0;
        double sx = 0;
        double sy = 0;
        for (int y = (int) near.y() - radius; y <= (int) near.y() + radius; y++) {
            for (int x = (int) near.x() - radius; x <= (int) near.x() + radius; x++) {
                double v = p.green(x, y);
                sum += v;
                sx += v * (x + 0.5);
                sy += v * (y + 0.5);
            }
        }
        assertThat(sum).as("a drawn eye near " + near).isPositive();
        return new Point(sx / sum, sy / sum);
    }

    @Test
    void outsideTheFrameIsBlackAndAreaResizingIsRefused() {
        // A face at the frame's corner: GenD's warp leaves what lies outside the frame black.
        Picture frame = FaceCropperTest.ramp(200, 150);
        Face corner = new Face(new Box(0, 0, 40, 40), 1, List.of(new Point(5, 8), new Point(25, 8), new Point(15, 16), new Point(15, 30)));
        Picture crop = new FaceCropper(SCALE, SIZE, ResizeKernel.LINEAR, Alignment.GEND).crop(frame, corner);
        assertThat(crop.red(2, 2) + crop.green(2, 2) + crop.blue(2, 2)).isZero();
        assertThat(crop.red(200, 200)).isEqualTo(200);
        assertThatThrownBy(() -> PipelineConfig.DEFAULT.withAlignment(Alignment.GEND)).isInstanceOf(UserError.class)
                .hasMessageContaining("gend alignment").hasMessageContaining("not area");
        Face boxOnly = new Face(new Box(10, 10, 50, 50), 1, List.of());
        assertThatThrownBy(() -> new FaceCropper(SCALE, SIZE, ResizeKernel.LINEAR, Alignment.GEND).crop(frame, boxOnly))
                .isInstanceOf(UserError.class).hasMessageContaining("gend alignment needs");
    }

    @Test
    void genDsContractNamesBlazeFaceAndDetectReproducesIt() {
        CropContract c = GenDTemplate.contract();
        assertThat(c.toMap()).containsEntry("alignment", "gend:blazeface-eyes:similarity").containsEntry("margin", 1.3)
                .containsEntry("size", 256).containsEntry("resize_kernel", "opencv-linear");
        assertThat(c.detector()).startsWith("blazeface-full-range:sha256:");
        Path file = Path.of("gend-folder");
        CropRecipe recipe = CropRecipe.of(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(Map.of("crop_contract", c.toMap())), file, null);
        assertThat(recipe.alignment()).isEqualTo(Alignment.GEND);
        try (FacePipeline p = FacePipeline.open(recipe.faceDetector(), recipe.apply(PipelineConfig.DEFAULT))) {
            recipe.requireReproducedBy(p.contract(), file);
            assertThat(p.contract()).isEqualTo(c);
        }
        assertThatThrownBy(() -> FacePipeline.open(FaceDetectorKind.HAAR, recipe.apply(PipelineConfig.DEFAULT)))
                .isInstanceOf(UserError.class).hasMessageContaining("gend alignment needs eye keypoints");
    }

    /** GenD's template, all five points in the 256-px crop, from its definition (p + 0.15) / 1.3 · 256. */
    static final double[][] GEND_TEMPLATE = {{0.34, 0.46}, {0.66, 0.46}, {0.5, 0.64}, {0.37, 0.82}, {0.63, 0.82}};

    /**
     * GenD's own fit of five landmarks (its LMedS estimate ends in a least-squares refinement over
     * the inliers, all five for a face), solved here independently of {@link GenDTemplate}: the
     * normal equations of x' = a·x − b·y + c, y' = b·x + a·y + d, by Gaussian elimination.
     * Returns {a, b, c, d}.
     */
    static double[] genDFit(List<Point> landmarks) {
        double[][] m = new double[4][5];
        for (int i = 0; i < 5; i++) {
            double x = landmarks.get(i).x();
            double y = landmarks.get(i).y();
            double u = (GEND_TEMPLATE[i][0] + 0.15) / 1.3 * 256;
            double v = (GEND_TEMPLATE[i][1] + 0.15) / 1.3 * 256;
            double[][] rows = {{x, -y, 1, 0, u}, {y, x, 0, 1, v}};
            for (double[] r : rows) {
                for (int j = 0; j < 4; j++) {
                    for (int k = 0; k < 5; k++) {
                        m[j][k] += r[j] * r[k];
                    }
                }
            }
        }
        for (int c = 0; c < 4; c++) {
            int pivot = c;
            for (int r = c + 1; r < 4; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
                    pivot = r;
                }
            }
            double[] tmp = m[c];
            m[c] = m[pivot];
            m[pivot] = tmp;
            for (int r = 0; r < 4; r++) {
                if (r != c) {
                    double f = m[r][c] / m[c][c];
                    for (int k = c; k < 5; k++) {
                        m[r][k] -= f * m[c][k];
                    }
                }
            }
        }
        return new double[] {m[0][4] / m[0][0], m[1][4] / m[1][1], m[2][4] / m[2][2], m[3][4] / m[3][3]};
    }

    static Point apply(double[] f, Point p) {
        return new Point(f[0] * p.x() - f[1] * p.y() + f[2], f[1] * p.x() + f[0] * p.y() + f[3]);
    }

    static double dist(Point a, Point b) {
        return Math.hypot(a.x() - b.x(), a.y() - b.y());
    }
}
