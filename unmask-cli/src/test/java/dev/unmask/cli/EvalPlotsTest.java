package dev.unmask.cli;

import dev.unmask.api.EvalReport;
import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.detector.TrainingLog;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

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
        List<EvalReport.Scored> scored = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            boolean fake = i % 2 == 0;
            double s = Math.min(1, Math.max(0, (fake ? 0.65 : 0.35) + 0.15 * r.nextGaussian()));
            scored.add(new EvalReport.Scored("test1", "img" + i + ".png", fake ? 1 : 0, "v" + i, s));
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

    @Test
    void trainingCurvesHaveOnePointPerLoggedEpochAndMarkTheBestEer(@TempDir Path out) throws Exception {
        double[] eer = {0.4, 0.3, 0.25, 0.28, 0.2, 0.22, 0.21};
        List<TrainingLog.Epoch> log = new ArrayList<>();
        for (int e = 0; e < eer.length; e++) {
            log.add(new TrainingLog.Epoch(e + 1, 0.7 - 0.05 * e, 0.72 - 0.04 * e, 1 - eer[e] - 0.05, eer[e], 1 - eer[e], 2.0));
        }
        XYChart c = EvalPlots.training(log);
        for (String s : new String[] {"train loss", "val loss", "val AUC", "val EER"}) {
            assertThat(c.getSeriesMap().get(s).getXData()).as(s).hasSize(eer.length);
        }
        assertThat(c.getSeriesMap().get("best epoch").getXData()).containsExactly(5.0);
        assertThat(c.getTitle()).contains("best epoch 5");
        EvalPlots.writeTraining(out, log);
        BufferedImage img = ImageIO.read(out.resolve("training.png").toFile());
        assertThat(img.getWidth()).isEqualTo(EvalPlots.WIDTH);
        assertThat(img.getHeight()).isEqualTo(EvalPlots.HEIGHT);
        assertThat(pixels(img, 31, 119, 180)).as("train loss line").isGreaterThan(100);

        Path none = out.resolve("none");
        java.nio.file.Files.createDirectories(none);
        EvalPlots.writeTraining(none, List.of());
        assertThat(none.resolve("training.png")).as("no log, no picture").doesNotExist();
    }
}
