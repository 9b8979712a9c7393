package dev.unmask.media.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.explain.HeatMap;
import dev.unmask.media.pixels.Picture;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The paper's rendering: JET (cold blue, hot red) blended half and half with the face, each patch a block. */
class HeatOverlayTest {
    @Test
    void coldPatchesTurnBlueHotPatchesRedHalfAndHalfWithTheFace() {
        byte[] grey = new byte[28 * 28 * 3];
        Arrays.fill(grey, (byte) 100);
        Picture face = new Picture(28, 28, grey);
        // 2×2 patches of 14 px: top-left hot, the rest cold.
        HeatMap map = new HeatMap(2, 2, 14, new float[] {1, 0, 0, 0});
        Picture out = HeatOverlay.blend(face, map);
        // OpenCV's JET: 0 → (B,G,R) = (128, 0, 0); 255 → (0, 0, 128). Blend: 0.5·100 + 0.5·jet.
        assertThat(new int[] {out.blue(3, 3), out.green(3, 3), out.red(3, 3)}).containsExactly(50, 50, 114);
        assertThat(new int[] {out.blue(20, 20), out.green(20, 20), out.red(20, 20)}).containsExactly(114, 50, 50);
        assertThat(out.red(13, 0)).as("hot patch ends at its edge").isEqualTo(114);
        assertThat(out.red(14, 0)).isEqualTo(50);
    }

    @Test
    void aMapOnTheModelsGridIsStretchedOverALargerCropBlockByBlock() {
        byte[] black = new byte[56 * 56 * 3];
        HeatMap map = new HeatMap(2, 2, 14, new float[] {0, 0, 0, 1});
        Picture out = HeatOverlay.blend(new Picture(56, 56, black), map);
        assertThat(out.red(27, 27)).isEqualTo(0);
        assertThat(out.red(28, 28)).isEqualTo(64);
        assertThat(out.red(55, 55)).isEqualTo(64);
    }
}
