package dev.unmask.media.crop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.UserError;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.ImageFiles;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.TestMedia;
import dev.unmask.media.detect.CropRecipe;
import dev.unmask.media.face.BlazeFace;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.Point;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Crops turned so that the eyes are level, checked by BlazeFace itself looking at the crops again. */
class EyeAlignmentTest {
    static final double TURN_DEGREES = 20;
    static BlazeFace blazeFace;
    static Picture tilted;

    @BeforeAll
    static void open() {
        TestMedia.requireBlazeFaceModel();
        blazeFace = BlazeFace.open();
        // The astronaut photo turned 20° clockwise about her face with Java2D: nothing of ours in the making.
        BufferedImage photo = ImageFiles.read(TestMedia.photo("astronaut.png"), MediaLimits.DEFAULT).toBufferedImage();
        AffineTransform turn = AffineTransform.getRotateInstance(Math.toRadians(TURN_DEGREES), 225, 125);
        BufferedImage out = new BufferedImage(photo.getWidth(), photo.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        new AffineTransformOp(turn, new RenderingHints(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR))
                .filter(photo, out);
        tilted = Picture.of(out);
    }

    @AfterAll
    static void close() {
        blazeFace.close();
    }

    static double eyeLineDegrees(Picture p) {
        List<Face> faces = blazeFace.detect(p);
        assertThat(faces).as("BlazeFace finds the face again in the crop").isNotEmpty();
        return Math.toDegrees(FaceCropper.eyeAngle(faces.get(0)));
    }

    @Test
    void anAlignedCropHasLevelEyesWhereTheUnalignedOneIsTilted() {
        Face face = blazeFace.detect(tilted).get(0);
        // The upright photo's eyes slope by about 3° (hand-marked at (204, 102) and (246, 104)).
        assertThat(Math.toDegrees(FaceCropper.eyeAngle(face))).isCloseTo(TURN_DEGREES + 3, within(4.0));
        Picture plain = new FaceCropper(1.3, 224, ResizeKernel.AREA).crop(tilted, face);
        Picture aligned = new FaceCropper(1.3, 224, ResizeKernel.AREA, Alignment.EYES).crop(tilted, face);
        assertThat(aligned.width()).isEqualTo(224);
        assertThat(aligned.height()).isEqualTo(224);
        assertThat(eyeLineDegrees(plain)).isCloseTo(TURN_DEGREES + 3, within(4.0));
        assertThat(eyeLineDegrees(aligned)).isCloseTo(0, within(3.0));
    }

    @Test
    void levelEyesGiveExactlyTheUnalignedCropAndTheTurnKeepsTheSquaresCentreAndSide() {
        Picture frame = FaceCropperTest.ramp(200, 150);
        Box box = new Box(40, 30, 80, 90);
        Face level = new Face(box, 1, List.of(new Point(60, 60), new Point(100, 60)));
        Picture plain = new FaceCropper(1.3, 117, ResizeKernel.AREA).crop(frame, box);
        assertThat(new FaceCropper(1.3, 117, ResizeKernel.AREA, Alignment.EYES).crop(frame, level).bgr()).isEqualTo(plain.bgr());

        // Eyes on a vertical line (a face lying on its side): a quarter turn. The crop's centre
        // stays the box's centre, and part of the square falls outside the frame and is black.
        Box atTheEdge = new Box(0, 30, 80, 90);
        Face onItsSide = new Face(atTheEdge, 1, List.of(new Point(40, 40), new Point(40, 100)));
        Picture turned = new FaceCropper(1.3, 117, ResizeKernel.AREA, Alignment.EYES).crop(frame, onItsSide);
        Box r = new FaceCropper(1.3, 117, ResizeKernel.AREA).region(atTheEdge);
        assertThat(r.x()).isEqualTo(-18);
        // The ramp stores x in blue and y in green: after the turn, the crop's rows run along the frame's y.
        int c = 58;
        assertThat(turned.blue(c, c)).isCloseTo((int) (r.x() + 58), within(1));
        assertThat(turned.green(c, c)).isCloseTo((int) (r.y() + 58), within(1));
        assertThat(turned.green(c + 20, c)).isCloseTo((int) (r.y() + 78), within(1));
        assertThat(turned.blue(c, c + 20)).isCloseTo((int) (r.x() + 38), within(1));
        // The crop's last rows come from the frame's x < 0.
        assertThat(turned.blue(c, 98)).isEqualTo(0);
        assertThat(turned.red(c, 98)).isEqualTo(200);
        assertThat(turned.red(c, 116) + turned.green(c, 116) + turned.blue(c, 116)).as("outside the frame: black").isZero();
    }

    @Test
    void haarHasNoEyesSoAligningOnThemIsRefused() {
        PipelineConfig eyes = PipelineConfig.DEFAULT.withAlignment(Alignment.EYES);
        assertThatThrownBy(() -> FacePipeline.open(FaceDetectorKind.HAAR, eyes)).isInstanceOf(UserError.class)
                .hasMessageContaining("eye alignment needs eye keypoints").hasMessageContaining("haar");
        Face boxOnly = new Face(new Box(10, 10, 50, 50), 1, List.of());
        assertThatThrownBy(() -> new FaceCropper(1.3, 64, ResizeKernel.AREA, Alignment.EYES).crop(tilted, boxOnly))
                .isInstanceOf(UserError.class);
    }

    @Test
    void theAlignmentIsPartOfTheContractAndDetectReproducesIt() {
        CropContract contract;
        try (FacePipeline p = FacePipeline.open(FaceDetectorKind.BLAZEFACE, PipelineConfig.DEFAULT.withAlignment(Alignment.EYES))) {
            contract = p.contract();
        }
        assertThat(contract.alignment()).isEqualTo("eyes:opencv-linear");
        assertThat(CropContract.fromMap(contract.toMap())).isEqualTo(contract);
        CropContract unaligned = CropContract.of(contract.detector(), contract.margin(), contract.size(), ResizeKernel.AREA);
        assertThat(contract.differences(unaligned)).containsExactly("alignment: eyes:opencv-linear vs none");

        ObjectMapper json = new ObjectMapper();
        Path file = Path.of("eyes.unmask");
        CropRecipe recipe = CropRecipe.of(json.valueToTree(Map.of("crop_contract", contract.toMap())), file, null);
        assertThat(recipe.alignment()).isEqualTo(Alignment.EYES);
        PipelineConfig config = recipe.apply(PipelineConfig.DEFAULT);
        try (FacePipeline p = FacePipeline.open(recipe.faceDetector(), config)) {
            recipe.requireReproducedBy(p.contract(), file);
        }
        try (FacePipeline p = FacePipeline.open(FaceDetectorKind.BLAZEFACE, PipelineConfig.DEFAULT)) {
            assertThatThrownBy(() -> recipe.requireReproducedBy(p.contract(), file)).isInstanceOf(UserError.class)
                    .hasMessageContaining("alignment");
        }

        Map<String, Object> haarEyes = new LinkedHashMap<>(contract.toMap());
        haarEyes.put("detector", "haar-frontalface-alt2:opencv-4.11.0");
        assertThatThrownBy(() -> CropRecipe.of(json.valueToTree(Map.of("crop_contract", haarEyes)), file, null))
                .isInstanceOf(UserError.class).hasMessageContaining("finds no eyes");
        Map<String, Object> nose = new LinkedHashMap<>(contract.toMap());
        nose.put("alignment", "nose");
        assertThatThrownBy(() -> CropRecipe.of(json.valueToTree(Map.of("crop_contract", nose)), file, null))
                .isInstanceOf(UserError.class).hasMessageContaining("aligned by \"nose\"");
    }
}
