package dev.unmask.cli;

import dev.unmask.api.EvalReport;
import dev.unmask.core.detector.TrainingLog;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.metrics.Roc;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's pictures: the ROC curve with its EER point, the score histogram of each class, and
 * the training curves of a detector's per-epoch log.
 */
final class EvalPlots {
    static final int WIDTH = 640;
    static final int HEIGHT = 480;
    static final String TRAINING_PNG = "training.png";
    private static final int BINS = 20;

    private EvalPlots() {}

    static void write(Path out, List<EvalReport.Scored> scored) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] scores = scored.stream().mapToDouble(EvalReport.Scored::score).toArray();
        boolean[] fake = new boolean[scores.length];
        for (int i = 0; i < fake.length; i++) {
            fake[i] = scored.get(i).label() > 0;
        }
        save(out.resolve("roc.png"), roc(scores, fake));
        save(out.resolve("histogram.png"), histogram(scores, fake));
    }

    static XYChart roc(double[] scores, boolean[] fake) {
        Roc roc = Roc.of(scores, fake);
        Roc.Eer eer = roc.eer();
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(String.format(java.util.Locale.ROOT, "ROC (AUC %.4f, EER %.4f)", roc.auc(), eer.rate()))
                .xAxisTitle("false positive rate (real called fake)").yAxisTitle("true positive rate (fake called fake)").build();
        style(c);
        c.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        XYSeries curve = c.addSeries("ROC", roc.fpr(), roc.tpr());
        curve.setMarker(SeriesMarkers.NONE);
        curve.setLineColor(new Color(31, 119, 180));
        // The EER lies where the curve meets 1 − FPR: draw that line and the point.
        XYSeries diag = c.addSeries("TPR = 1 - FPR", new double[] {0, 1}, new double[] {1, 0});
        diag.setMarker(SeriesMarkers.NONE);
        diag.setLineColor(Color.GRAY);
        diag.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
        XYSeries point = c.addSeries("EER", new double[] {eer.rate()}, new double[] {1 - eer.rate()});
        point.setMarker(SeriesMarkers.CIRCLE);
        point.setMarkerColor(new Color(214, 39, 40));
        point.setLineStyle(new BasicStroke(0f));
        return c;
    }

    /** Writes {@code training.png} in {@code out} from a detector's log; nothing when the log is empty. */
    static void writeTraining(Path out, List<TrainingLog.Epoch> log) throws IOException {
        if (!log.isEmpty()) {
            System.setProperty("java.awt.headless", "true");
            save(out.resolve(TRAINING_PNG), training(log));
        }
    }

    /** Losses on the left axis; validation AUC and EER (fractions) on the right; the best-EER epoch marked. */
    static XYChart training(List<TrainingLog.Epoch> log) {
        double[] epoch = log.stream().mapToDouble(TrainingLog.Epoch::epoch).toArray();
        int best = 0;
        for (int i = 1; i < log.size(); i++) {
            if (log.get(i).valEer() < log.get(best).valEer()) {
                best = i;
            }
        }
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(String.format(java.util.Locale.ROOT, "Training (best epoch %d: val EER %.4f, AUC %.4f)", log.get(best).epoch(),
                        log.get(best).valEer(), log.get(best).valAuc()))
                .xAxisTitle("epoch").yAxisTitle("cross-entropy loss").build();
        style(c);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS)
                .setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        c.setYAxisGroupTitle(1, "validation AUC / EER");
        c.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        c.getStyler().setYAxisMin(1, 0.0).setYAxisMax(1, 1.0).setYAxisMin(0, 0.0);
        line(c, "train loss", epoch, log.stream().mapToDouble(TrainingLog.Epoch::trainLoss).toArray(), 0, new Color(31, 119, 180));
        line(c, "val loss", epoch, log.stream().mapToDouble(TrainingLog.Epoch::valLoss).toArray(), 0, new Color(255, 127, 14));
        line(c, "val AUC", epoch, log.stream().mapToDouble(TrainingLog.Epoch::valAuc).toArray(), 1, new Color(44, 160, 44));
        line(c, "val EER", epoch, log.stream().mapToDouble(TrainingLog.Epoch::valEer).toArray(), 1, new Color(214, 39, 40));
        XYSeries b = c.addSeries("best epoch", new double[] {epoch[best]}, new double[] {log.get(best).valEer()});
        b.setYAxisGroup(1);
        b.setMarker(SeriesMarkers.CIRCLE);
        b.setMarkerColor(Color.BLACK);
        b.setLineStyle(new BasicStroke(0f));
        return c;
    }

    private static void line(XYChart c, String name, double[] x, double[] y, int axis, Color colour) {
        XYSeries s = c.addSeries(name, x, y);
        s.setYAxisGroup(axis);
        s.setLineColor(colour);
        s.setMarkerColor(colour);
        // Markers help a short run (few points) and clutter a long one.
        s.setMarker(x.length <= 50 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    static XYChart histogram(double[] scores, boolean[] fake) {
        double[] centres = new double[BINS];
        double[] real = new double[BINS];
        double[] fakes = new double[BINS];
        int nReal = 0;
        int nFake = 0;
        for (int i = 0; i < scores.length; i++) {
            int b = Math.min(BINS - 1, (int) Math.floor(scores[i] * BINS));
            if (fake[i]) {
                fakes[b]++;
                nFake++;
            } else {
                real[b]++;
                nReal++;
            }
        }
        for (int b = 0; b < BINS; b++) {
            centres[b] = (b + 0.5) / BINS;
            real[b] = nReal == 0 ? 0 : real[b] / nReal;
            fakes[b] = nFake == 0 ? 0 : fakes[b] / nFake;
        }
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Scores per class (share of each class per bin)")
                .xAxisTitle("score = probability of fake").yAxisTitle("share of the class").build();
        style(c);
        c.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0);
        XYSeries r = c.addSeries("real (" + nReal + ")", centres, real);
        r.setMarker(SeriesMarkers.CIRCLE);
        r.setLineColor(new Color(44, 160, 44));
        r.setMarkerColor(new Color(44, 160, 44));
        XYSeries f = c.addSeries("fake (" + nFake + ")", centres, fakes);
        f.setMarker(SeriesMarkers.DIAMOND);
        f.setLineColor(new Color(214, 39, 40));
        f.setMarkerColor(new Color(214, 39, 40));
        return c;
    }

    private static void style(XYChart c) {
        c.getStyler().setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
                .setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE).setAntiAlias(true);
    }

    private static void save(Path file, XYChart chart) throws IOException {
        BufferedImage img = BitmapEncoder.getBufferedImage(chart);
        AtomicFiles.write(file, o -> ImageIO.write(img, "png", o));
    }
}
