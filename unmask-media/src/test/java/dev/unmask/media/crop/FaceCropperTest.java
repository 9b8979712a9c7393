package dev.unmask.media.crop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.face.Box;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FaceCropperTest {
    /** A frame whose pixel (x, y) is (b, g, r) = (x, y, 200), so positions can be read back. */
    static Picture ramp(int w, int h) {
        byte[] bgr = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                bgr[i] = (byte) x;
                bgr[i + 1] = (byte) y;
                bgr[i + 2] = (byte) 200;
            }
        }
        return new Picture(w, h, bgr);
    }

    @Test
    void theCropIsASquareOfMarginTimesTheLongerSideCentredOnTheBox() {
        FaceCropper c = new FaceCropper(1.3, 130, ResizeKernel.AREA);
        Box region = c.region(new Box(50, 60, 80, 100));
        assertThat(region).isEqualTo(new Box(25, 45, 130, 130));
        Picture crop = c.crop(ramp(250, 250), new Box(50, 60, 80, 100));
        // No resize needed at 130: the crop is the frame's pixels, unshifted and unsqueezed.
        assertThat(crop.width()).isEqualTo(130);
        assertThat(crop.blue(0, 0)).isEqualTo(25);
        assertThat(crop.green(0, 0)).isEqualTo(45);
        assertThat(crop.blue(129, 129)).isEqualTo(154);
        assertThat(crop.green(129, 129)).isEqualTo(174);
    }

    @Test
    void partsOutsideTheFrameArePaddedBlackNotShiftedOrSqueezed() {
        FaceCropper c = new FaceCropper(2.0, 100, ResizeKernel.AREA);
        // A 50×50 face at the top-left corner: the 100×100 square starts at (-25, -25).
        Picture crop = c.crop(ramp(200, 200), new Box(0, 0, 50, 50));
        assertThat(crop.red(10, 10)).isZero();
        assertThat(crop.blue(10, 10)).isZero();
        assertThat(crop.red(24, 24)).isZero();
        assertThat(crop.red(25, 25)).isEqualTo(200);
        assertThat(crop.blue(25, 25)).isZero();
        assertThat(crop.green(25, 25)).isZero();
        assertThat(crop.blue(99, 60)).isEqualTo(74);
        assertThat(crop.green(99, 60)).isEqualTo(35);
    }

    @Test
    void cropsAreResizedToTheContractSize() {
        Picture crop = new FaceCropper(1.3, 224, ResizeKernel.CUBIC).crop(ramp(640, 480), new Box(200, 100, 300, 300));
        assertThat(crop.width()).isEqualTo(224);
        assertThat(crop.height()).isEqualTo(224);
    }

    @Test
    void contractsRoundTripAndDifferencesAreNamed() {
        CropContract a = CropContract.of("blazeface-full-range:sha256:99bf", 1.3, 224, ResizeKernel.AREA);
        assertThat(CropContract.fromMap(a.toMap())).isEqualTo(a);
        CropContract b = CropContract.of("haar-frontalface-alt2:opencv-4.11.0", 1.3, 224, ResizeKernel.AREA);
        assertThat(a.differences(b)).containsExactly("detector: blazeface-full-range:sha256:99bf vs haar-frontalface-alt2:opencv-4.11.0");
        assertThatThrownBy(() -> a.requireSame(b, "detector.unmask")).isInstanceOf(UserError.class)
                .hasMessageStartingWith("detector.unmask: crops were made differently (detector: ");
        assertThatThrownBy(() -> CropContract.fromMap(Map.of("detector", "x"))).isInstanceOf(UserError.class);
        assertThatThrownBy(() -> CropContract.of("x", 0.5, 224, ResizeKernel.AREA)).isInstanceOf(UserError.class);
    }
}
