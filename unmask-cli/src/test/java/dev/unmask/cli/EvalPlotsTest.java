package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The eval report's pictures are real PNGs that show the curve, the EER point and both classes. */
class EvalPlotsTest {

    static long pixels(BufferedImage img, int r, int g, int b) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                if (Math.abs(((p >> 16) & 0xff) - r) < 12 && Math.abs(((p >> 8) & 0xff) - g) < 12 && Math.abs((p & 0xff) - b) < 12) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void rocAndHistogramShowTheCurveTheEerPointAndBothClasses(@TempDir Path out) throws Exception {
        Random r = new Random(5);
        List<EvalCommand.Scored> scored = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            boolean fake = i % 2 == 0;
            double s = Math.min(1, Math.max(0, (fake ? 0.65 : 0.35) + 0.15 * r.nextGaussian()));
            scored.add(new EvalCommand.Scored("test1", "img" + i + ".png", fake ? 1 : 0, "v" + i, s));
        }
        EvalPlots.write(out, scored);
        BufferedImage roc = ImageIO.read(out.resolve("roc.png").toFile());
        BufferedImage hist = ImageIO.read(out.resolve("histogram.png").toFile());
        assertThat(roc.getWidth()).isEqualTo(EvalPlots.WIDTH);
        assertThat(roc.getHeight()).isEqualTo(EvalPlots.HEIGHT);
        assertThat(pixels(roc, 31, 119, 180)).as("ROC curve pixels").isGreaterThan(300);
        assertThat(pixels(roc, 214, 39, 40)).as("EER marker pixels").isGreaterThan(10);
        assertThat(pixels(hist, 44, 160, 44)).as("real class").isGreaterThan(100);
        assertThat(pixels(hist, 214, 39, 40)).as("fake class").isGreaterThan(100);
    }
}
