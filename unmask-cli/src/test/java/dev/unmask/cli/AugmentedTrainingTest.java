package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.detector.TrainingLog;
import dev.unmask.core.train.TrainingRun;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/**
 * {@code train --augment} end to end: the spec reaches the detector, the caches step aside for
 * training images (not for validation ones), the trained set stays the one without augmentation,
 * augmentation changes what is learned, and a resumed augmented run ends exactly as an
 * uninterrupted one. Also the training curves: train and eval draw them from the epoch log the
 * detector file carries.
 */
class AugmentedTrainingTest {
    static final String SPEC = "flip,jpeg=60-95,blur=0-1.5,colour=0.2";
    static final String CANONICAL = "flip,colour=0.2,blur=0-1.5,jpeg=60-95";

    @TempDir
    static Path dir;
    static Path backbone;
    static Path root;

    @BeforeAll
    static void data() throws Exception {
        backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        root = dir.resolve("faces");
        FaceSet.of(11, 24, 16).write(dir, root);
    }

    static String[] train(Path out, String cache, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(),
                "--val", dir.resolve("val.csv").toString(), "--root", root.toString(), "--out", out.toString(),
                "--cache", dir.resolve(cache).toString(), "--image-size", "56", "--batch", "4", "--seed", "7"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    static void assertSameTensors(Path a, Path b, boolean same) {
        try (SafeTensors x = SafeTensors.open(a); SafeTensors y = SafeTensors.open(b)) {
            assertThat(y.tensors().keySet()).isEqualTo(x.tensors().keySet());
            boolean allEqual = x.tensors().keySet().stream().allMatch(k -> Arrays.equals(x.readFloats(k), y.readFloats(k)));
            assertThat(allEqual).as(a + " vs " + b).isEqualTo(same);
        }
    }

    @Test
    void finetuneWithAugmentationRecomputesThePrefixKeepsTheTrainedSetAndResumesExactly() throws Exception {
        String[] finetune = {"--approach", "finetune", "--blocks", "1", "--lr", "1e-3"};
        Path whole = dir.resolve("aug.unmask");
        CliRun w = CliRun.of(train(whole, "cache_ft", TrainEvalCommandTest.append(finetune, "--epochs", "2", "--augment", SPEC)));
        assertThat(w.exitCode()).as(w.err()).isZero();
        assertThat(w.err()).contains("augmentation " + CANONICAL + ": training images are augmented afresh every epoch")
                .contains("recomputed without gradients").contains("validation images are never augmented")
                // Only the 8 validation images go to the prefix cache.
                .contains("for 8 images");
        JsonNode m = TrainEvalCommandTest.manifestOf(whole);
        assertThat(m.path("settings").path("augmentation").asText()).isEqualTo(CANONICAL);
        assertThat(m.path("settings").path("trains_tokens").asBoolean()).isFalse();
        assertThat(m.path("training_log").size()).isEqualTo(2);

        // Same trained tensors as without augmentation (tokens stay frozen), but other values: augmentation took effect.
        Path plain = dir.resolve("plain.unmask");
        CliRun p = CliRun.of(train(plain, "cache_ft", TrainEvalCommandTest.append(finetune, "--epochs", "2")));
        assertThat(p.exitCode()).as(p.err()).isZero();
        assertThat(p.err()).doesNotContain("augment");
        assertThat(TrainEvalCommandTest.manifestOf(plain).path("settings").path("augmentation").asText()).isEqualTo("none");
        assertThat(TrainEvalCommandTest.manifestOf(plain).path("backbone").path("changed_tensors"))
                .isEqualTo(m.path("backbone").path("changed_tensors"));
        assertSameTensors(whole, plain, false);

        // One epoch, then resumed to two: the augmentation draws of epoch 2 are the uninterrupted run's.
        Path resumed = dir.resolve("resumed.unmask");
        CliRun first = CliRun.of(train(resumed, "cache_ft", TrainEvalCommandTest.append(finetune, "--epochs", "1", "--augment", SPEC)));
        assertThat(first.exitCode()).as(first.err()).isZero();
        CliRun other = CliRun.of(train(resumed, "cache_ft", TrainEvalCommandTest.append(finetune, "--epochs", "2", "--augment", "flip", "--resume")));
        assertThat(other.exitCode()).as("another augmentation cannot resume the run").isEqualTo(2);
        assertThat(other.err()).contains("other settings");
        CliRun second = CliRun.of(train(resumed, "cache_ft", TrainEvalCommandTest.append(finetune, "--epochs", "2", "--augment", SPEC, "--resume")));
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.err()).contains("resuming after epoch 1");
        assertSameTensors(whole, resumed, true);
    }

    @Test
    void probeWithAugmentationRecomputesFeaturesAndCachesOnlyValidation() {
        Path d = dir.resolve("probe_aug.unmask");
        CliRun r = CliRun.of(train(d, "cache_probe", "--epochs", "2", "--lr", "0.01", "--augment", "flip,jpeg=70"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("augmentation flip,jpeg=70-70").contains("features are recomputed for every training batch")
                .contains("for 8 images");
        // A later run without augmentation computes the 16 training images' features it lacks, and nothing else.
        CliRun plain = CliRun.of(train(dir.resolve("probe_plain.unmask"), "cache_probe", "--epochs", "1", "--lr", "0.01"));
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(plain.err()).contains("for 16 images");
    }

    @Test
    void trainAndEvalDrawTheTrainingCurvesFromTheDetectorsLog() throws Exception {
        Path d = dir.resolve("curves.unmask");
        CliRun t = CliRun.of(train(d, "cache_curves", "--epochs", "3", "--lr", "0.01", "--patience", "0"));
        assertThat(t.exitCode()).as(t.err()).isZero();
        Path trainPng = TrainingRun.trainingDirectory(d).resolve("training.png");
        assertThat(t.out()).contains("curves     " + trainPng);
        BufferedImage img = ImageIO.read(trainPng.toFile());
        assertThat(img.getWidth()).isEqualTo(EvalPlots.WIDTH);
        assertThat(img.getHeight()).isEqualTo(EvalPlots.HEIGHT);

        List<TrainingLog.Epoch> log;
        try (NDManager m = NDManager.newBaseManager(); Detector det = Detector.load(d, null, m)) {
            log = det.trainingLog();
        }
        List<String> csv = Files.readAllLines(TrainingRun.trainingDirectory(d).resolve("train_log.csv"));
        assertThat(log).hasSize(3).hasSize(csv.size() - 1);
        for (int i = 0; i < 3; i++) {
            String[] f = csv.get(i + 1).split(",");
            assertThat(log.get(i).epoch()).isEqualTo(Integer.parseInt(f[0]));
            assertThat(log.get(i).trainLoss()).isCloseTo(Double.parseDouble(f[1]), org.assertj.core.data.Offset.offset(1e-6));
            assertThat(log.get(i).valAuc()).isCloseTo(Double.parseDouble(f[3]), org.assertj.core.data.Offset.offset(1e-6));
        }
        XYChart chart = EvalPlots.training(log);
        for (String s : new String[] {"train loss", "val loss", "val AUC", "val EER"}) {
            XYSeries series = chart.getSeriesMap().get(s);
            assertThat(series.getXData()).as(s).hasSize(3);
        }
        assertThat(chart.getSeriesMap().get("val EER").getYData()).containsExactly(log.stream().mapToDouble(TrainingLog.Epoch::valEer).boxed()
                .toArray(Double[]::new));

        Path evalOut = dir.resolve("eval_curves");
        CliRun e = CliRun.of("eval", "--detector", d.toString(), "--test", dir.resolve("val.csv").toString(), "--root", root.toString(),
                "--out", evalOut.toString());
        assertThat(e.exitCode()).as(e.err()).isZero();
        assertThat(e.out()).contains("training.png (from the detector's log of 3 epochs)");
        BufferedImage fromEval = ImageIO.read(evalOut.resolve("training.png").toFile());
        assertThat(fromEval.getWidth()).isEqualTo(EvalPlots.WIDTH);
        assertThat(fromEval.getHeight()).isEqualTo(EvalPlots.HEIGHT);
    }

    @Test
    void helpExplainsAugmentationAndBadSpecsAreOneLineErrors() {
        CliRun h = CliRun.of("train", "--help");
        assertThat(h.exitCode()).isZero();
        assertThat(h.out().replaceAll("\\s+", " ")).contains("--augment=SPEC", "recompute the frozen prefix without gradients", "Off by default");
        // Whole, on one line: help wraps at spaces only (SpaceWrappedHelp).
        assertThat(h.out()).contains("flip,jpeg=60-95,blur=0-1.5,colour=0.2");
        for (String bad : new String[] {"sharpen", "jpeg=0-80", "blur=3-1", "colour=2", "flip,flip"}) {
            CliRun r = CliRun.of(train(dir.resolve("bad.unmask"), "cache_bad", "--epochs", "1", "--augment", bad));
            assertThat(r.exitCode()).as(bad + ": " + r.err()).isEqualTo(2);
            assertThat(r.errLines()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("unmask: --augment " + bad);
        }
        assertThat(Files.exists(dir.resolve("bad.unmask"))).isFalse();
    }
}
