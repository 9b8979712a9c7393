package dev.unmask.media.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.unmask.core.UserError;
import dev.unmask.media.ImageFiles;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BlazeFace and Haar on real photos, against hand-marked positions (from looking at the photos,
 * not from either detector): astronaut.png, eyes at about (204, 102) and (246, 104), nose tip
 * (224, 130), mouth (224, 148); camera.png, the cameraman's face (in profile) around (235, 158).
 */
class FaceDetectionTest {
    static BlazeFace blazeFace;
    static HaarFaceDetector haar;
    static Picture astronaut;

    @BeforeAll
    static void open() {
        TestMedia.requireBlazeFaceModel();
        blazeFace = BlazeFace.open();
        haar = HaarFaceDetector.open();
        astronaut = ImageFiles.read(TestMedia.photo("astronaut.png"), MediaLimits.DEFAULT);
    }

    @AfterAll
    static void close() {
        blazeFace.close();
        haar.close();
    }

    static void near(Point p, double x, double y, double tolerance) {
        assertThat(p.x()).isCloseTo(x, within(tolerance));
        assertThat(p.y()).isCloseTo(y, within(tolerance));
    }

    @Test
    void blazeFaceFindsTheAstronautsFaceAndKeypointsWhereTheyAre() {
        List<Face> faces = blazeFace.detect(astronaut);
        assertThat(faces).hasSize(1);
        Face f = faces.get(0);
        assertThat(f.score()).isGreaterThan(0.8);
        near(f.keypoints().get(0), 204, 102, 8);
        near(f.keypoints().get(1), 246, 104, 8);
        near(f.keypoints().get(2), 224, 130, 8);
        near(f.keypoints().get(3), 224, 148, 8);
        // The box holds the eyes, nose and mouth, and is face-sized (not the whole head or body).
        for (int k = 0; k < 4; k++) {
            Point p = f.keypoints().get(k);
            assertThat(p.x()).isBetween(f.box().x(), f.box().x() + f.box().width());
            assertThat(p.y()).isBetween(f.box().y(), f.box().y() + f.box().height());
        }
        assertThat(f.box().width()).isBetween(80.0, 140.0);
    }

    @Test
    void blazeFaceAndHaarAgreeOnTheAstronaut() {
        Face b = blazeFace.detect(astronaut).get(0);
        List<Face> h = haar.detect(astronaut);
        assertThat(h).hasSize(1);
        assertThat(b.box().iou(h.get(0).box())).isGreaterThan(0.5);
    }

    @Test
    void blazeFaceFindsTheCameramanInProfile() {
        Picture camera = ImageFiles.read(TestMedia.photo("camera.png"), MediaLimits.DEFAULT);
        List<Face> faces = blazeFace.detect(camera);
        assertThat(faces).hasSize(1);
        Box box = faces.get(0).box();
        assertThat(235.0).isBetween(box.x(), box.x() + box.width());
        assertThat(158.0).isBetween(box.y(), box.y() + box.height());
        assertThat(box.width()).isBetween(50.0, 110.0);
    }

    /** A face filling the frame, as in an already-cropped face image, is found too (second, zoomed-out pass). */
    @Test
    void aCloseUpFaceIsFound() {
        Box whole = blazeFace.detect(astronaut).get(0).box();
        // 1.1× the face box: the face fills 90 % of the picture.
        int side = (int) Math.round(whole.width() * 1.1);
        int x0 = (int) Math.round(whole.centerX() - side / 2.0);
        int y0 = (int) Math.round(whole.centerY() - side / 2.0);
        List<Face> faces = blazeFace.detect(sub(astronaut, x0, y0, side, side));
        assertThat(faces).hasSize(1);
        Box b = faces.get(0).box();
        assertThat(new Box(b.x() + x0, b.y() + y0, b.width(), b.height()).iou(whole)).isGreaterThan(0.7);
    }

    @Test
    void noFaceInACoffeeCup() {
        Picture coffee = ImageFiles.read(TestMedia.photo("coffee.png"), MediaLimits.DEFAULT);
        assertThat(blazeFace.detect(coffee)).isEmpty();
        assertThat(haar.detect(coffee)).isEmpty();
    }

    /** Letterboxing a non-square frame to the square input must be undone exactly. */
    @Test
    void boxesOfNonSquareFramesAreInFramePixels() {
        Box whole = blazeFace.detect(astronaut).get(0).box();
        int[][] regions = {{0, 20, 512, 300}, {120, 0, 260, 512}, {60, 30, 400, 250}};
        for (int[] r : regions) {
            Picture part = sub(astronaut, r[0], r[1], r[2], r[3]);
            List<Face> faces = blazeFace.detect(part);
            assertThat(faces).as("region %s", java.util.Arrays.toString(r)).hasSize(1);
            Box b = faces.get(0).box();
            Box shifted = new Box(b.x() + r[0], b.y() + r[1], b.width(), b.height());
            assertThat(shifted.iou(whole)).as("region %s", java.util.Arrays.toString(r)).isGreaterThan(0.8);
        }
    }

    static Picture sub(Picture p, int x0, int y0, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(p.bgr(), ((y + y0) * p.width() + x0) * 3, out, y * w * 3, w * 3);
        }
        return new Picture(w, h, out);
    }

    @Test
    void fullRangeAnchorsAreA48By48GridOfUnitAnchors() {
        List<SsdAnchors.Anchor> a = SsdAnchors.generate(SsdAnchors.FULL_RANGE);
        assertThat(a).hasSize(2304);
        assertThat(a.get(0)).isEqualTo(new SsdAnchors.Anchor(0.5 / 48, 0.5 / 48, 1, 1));
        // Row-major: index 49 is row 1, column 1.
        assertThat(a.get(49)).isEqualTo(new SsdAnchors.Anchor(1.5 / 48, 1.5 / 48, 1, 1));
        assertThat(a.get(2303)).isEqualTo(new SsdAnchors.Anchor(47.5 / 48, 47.5 / 48, 1, 1));
    }

    @Test
    void weightedNmsAveragesOverlappingBoxesByScoreAndKeepsTheBestScore() {
        double[] kp = new double[12];
        var a = new BlazeFaceDecoder.Raw(0.10, 0.10, 0.20, 0.20, 0.9, kp);
        var b = new BlazeFaceDecoder.Raw(0.12, 0.10, 0.20, 0.20, 0.6, kp);
        var far = new BlazeFaceDecoder.Raw(0.60, 0.60, 0.10, 0.10, 0.7, kp);
        List<BlazeFaceDecoder.Raw> out = BlazeFaceDecoder.weightedNms(List.of(b, far, a));
        assertThat(out).hasSize(2);
        assertThat(out.get(0).score()).isEqualTo(0.9);
        assertThat(out.get(0).xmin()).isCloseTo((0.9 * 0.10 + 0.6 * 0.12) / 1.5, within(1e-12));
        assertThat(out.get(0).w()).isCloseTo(0.20, within(1e-12));
        assertThat(out.get(1).score()).isEqualTo(0.7);
    }

    @Test
    void decodingPlacesAnAnchorsOffsetsInInputFractions() {
        BlazeFaceDecoder d = new BlazeFaceDecoder(SsdAnchors.generate(SsdAnchors.FULL_RANGE));
        float[] reg = new float[2304 * 16];
        float[] logits = new float[2304];
        java.util.Arrays.fill(logits, -10f);
        int i = 10 * 48 + 20;
        logits[i] = 2f;
        reg[i * 16] = 9.6f;
        reg[i * 16 + 1] = -19.2f;
        reg[i * 16 + 2] = 38.4f;
        reg[i * 16 + 3] = 57.6f;
        List<BlazeFaceDecoder.Raw> out = d.decode(reg, logits);
        assertThat(out).hasSize(1);
        var r = out.get(0);
        assertThat(r.score()).isCloseTo(1 / (1 + Math.exp(-2)), within(1e-12));
        assertThat(r.xmin() + r.w() / 2).isCloseTo(20.5 / 48 + 0.05, within(1e-6));
        assertThat(r.ymin() + r.h() / 2).isCloseTo(10.5 / 48 - 0.10, within(1e-6));
        assertThat(r.w()).isCloseTo(0.2, within(1e-6));
        assertThat(r.h()).isCloseTo(0.3, within(1e-6));
    }

    @Test
    void aMissingOrAlteredModelIsAnErrorNamingTheSetUpCommand(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> BlazeFaceModel.verify(dir.resolve("face_detection_full_range.tflite")))
                .isInstanceOf(UserError.class).hasMessageContaining("run bin/setup-models").hasMessageContaining("--face-detector haar");
        Path altered = Files.write(dir.resolve("altered.tflite"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> BlazeFaceModel.verify(altered)).isInstanceOf(UserError.class)
                .hasMessageContaining("is not that of @mediapipe/face_detection@0.4.1657300184");
    }

    @Test
    void theInstalledModelHasThePinnedHash() {
        assertThat(dev.unmask.core.io.Hashing.sha256(BlazeFaceModel.locate())).isEqualTo(BlazeFaceModel.SHA256).startsWith("99bf9494").endsWith("cfec3");
    }
}
