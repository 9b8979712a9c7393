package dev.unmask.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.unmask.core.data.Augmentation;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.vit.ViTConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Augmented training batches: each item is its own image augmented with the stream of
 * (seed, epoch, item), whatever the batch and chunking, then resized and normalised as
 * {@link Preprocessing} does.
 */
class AugmentedSourceTest {

    @Test
    void aBatchIsEachItemAugmentedWithItsOwnStreamWhateverTheChunking(@TempDir Path dir) throws Exception {
        SplittableRandom r = new SplittableRandom(4);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            BufferedImage img = new BufferedImage(24, 20, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 24; x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
            list.append(i).append(".png,").append(i % 2).append('\n');
        }
        Files.writeString(dir.resolve("list.csv"), list.toString());
        Datalist datalist = Datalist.read(dir.resolve("list.csv"), dir);
        TrainingData.Split split = TrainingData.hash("train", datalist, new ArrayList<>(), Progress.SILENT);
        Preprocessing pre = new Preprocessing(16, ViTConfig.IMAGENET_MEAN, ViTConfig.IMAGENET_STD, Preprocessing.JAVA2D_BICUBIC);
        Augmentation aug = Augmentation.parse("flip,colour=0.3,blur=0-2,jpeg=50-90");
        int[] positions = {5, 0, 3, 6, 1};
        try (NDManager m = NDManager.newBaseManager()) {
            float[] chunked = TrainingData.augmented(pre, aug, 9, 2, x -> x, 2).batch(split, positions, m).toFloatArray();
            NDArray whole = TrainingData.augmented(pre, aug, 9, 2, x -> x, 100).batch(split, positions, m);
            assertThat(whole.getShape().getShape()).containsExactly(5, 3, 16, 16);
            assertThat(whole.toFloatArray()).containsExactly(chunked);
            int per = pre.valuesPerImage();
            for (int i = 0; i < positions.length; i++) {
                int p = positions[i];
                float[] expected = pre.normalise(aug.apply(ImageTensor.readRgb(split.items().get(p).file()),
                        RandomStreams.of(9, RandomStreams.AUGMENT, 2, p)));
                assertThat(java.util.Arrays.copyOfRange(chunked, i * per, (i + 1) * per)).as("item " + p).containsExactly(expected);
            }
            float[] otherEpoch = TrainingData.augmented(pre, aug, 9, 3, x -> x, 2).batch(split, positions, m).toFloatArray();
            assertThat(otherEpoch).isNotEqualTo(chunked);
            float[] plain = TrainingData.images(pre).batch(split, positions, m).toFloatArray();
            assertThat(plain).isNotEqualTo(chunked);
        }
    }
}
