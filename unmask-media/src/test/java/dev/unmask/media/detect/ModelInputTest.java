package dev.unmask.media.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.media.pixels.Picture;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A crop scored by detect is, value for value, what training read from the same crop saved as PNG. */
class ModelInputTest {
    @TempDir
    Path dir;

    @Test
    void detectFeedsTheModelExactlyWhatTrainingReadFromThePngCrop() {
        Preprocessing pre = new Preprocessing(112, ViTConfig.IMAGENET_MEAN, ViTConfig.IMAGENET_STD, Preprocessing.JAVA2D_BICUBIC);
        for (int side : new int[] {112, 224, 97}) {
            byte[] bgr = new byte[side * side * 3];
            new SplittableRandom(side).nextBytes(bgr);
            Picture crop = new Picture(side, side, bgr);
            Path png = dir.resolve(side + ".png");
            crop.writePng(png);
            assertThat(DetectionRun.modelInput(crop, pre)).as("crop of side " + side).containsExactly(pre.load(png));
        }
    }
}
