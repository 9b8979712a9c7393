package dev.unmask.core.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.Golden;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.model.Backbone;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.Progress;
import dev.unmask.core.train.TrainSettings;
import dev.unmask.core.train.TrainingRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ConvNet as a detector's backbone: Approach 1 on its pooled last map, the detector file, and
 * Grad-CAM through the same {@link Explainer} entry point as the ViT methods. The backbone is the
 * golden Xception (random weights): with random weights, EfficientNet's squeeze-excitation spreads
 * a local change over every cell (see GradCamTest), so neither its probe (validation AUC 0.75 here)
 * nor any map of it could be local. The data are {@link HeatInRegionTest}'s synthetic fakes, whose
 * manipulated square is known.
 */
class ConvNetDetectorTest {
    static final int SIDE = HeatInRegionTest.SIDE;
    static final int REGION = HeatInRegionTest.REGION;
    static final double AREA_SHARE = HeatInRegionTest.AREA_SHARE;
    static final String GOLDEN = "xception_f16";

    @TempDir
    static Path dir;
    static Path backbone;
    static Path root;
    static Path detector;
    static TrainingRun.Result trained;
    static List<HeatInRegionTest.Fake> heldOut = new ArrayList<>();

    @BeforeAll
    static void trainProbe() throws Exception {
        backbone = Golden.copyModel(GOLDEN, dir.resolve(GOLDEN));
        root = dir.resolve("faces");
        heldOut.addAll(HeatInRegionTest.writeSet(dir, root));
        detector = dir.resolve("effnet.unmask");
        trained = TrainingRun.run(settings(Approach.PROBE, FeatureVariant.POOLED), inputs(detector), false, Progress.SILENT);
    }

    static TrainSettings settings(Approach a, FeatureVariant v) {
        return new TrainSettings(a, v, HeadSpec.Kind.LINEAR, 0, 0f, a == Approach.PROBE ? 0 : 1, a != Approach.PROBE, false, SIDE, 100, 16,
                0.05, a == Approach.PROBE ? 0 : 0.04, 0, 0);
    }

    static TrainingRun.Inputs inputs(Path out) {
        return new TrainingRun.Inputs(backbone, Datalist.read(dir.resolve("train.csv"), root), Datalist.read(dir.resolve("val.csv"), root), out,
                dir.resolve("cache"), null, "test");
    }

    @Test
    void theDetectorFileRecordsAConvNetAndScoresAsItsBackboneAndHeadDo() throws Exception {
        assertThat(trained.validation().auc()).as("the probe must have learned the fakes").isGreaterThan(0.95);
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, null, m)) {
            assertThat(d.manifest().path("backbone").path("kind").asText()).isEqualTo("convnet");
            assertThat(d.manifest().path("backbone").path("sha256").asText()).hasSize(64);
            assertThat(d.manifest().path("head").path("features").asText()).isEqualTo("pooled");
            assertThat(d.manifest().path("head").path("dim").asInt()).isEqualTo(((Backbone.Conv) d.backbone()).model().numFeatures());
            assertThat(d.backbone()).isInstanceOf(Backbone.Conv.class);
            // The checkpoint's own statistics, from its pretrained_cfg.
            assertThat(d.preprocessing().mean()).containsExactly(0.5f, 0.5f, 0.5f);

            // The same images through the network's own forward pass and the head, by hand.
            float[] x = d.preprocessing().load(heldOut.get(0).file());
            float[] x2 = d.preprocessing().load(heldOut.get(1).file());
            float[] both = new float[x.length * 2];
            System.arraycopy(x, 0, both, 0, x.length);
            System.arraycopy(x2, 0, both, x.length, x2.length);
            NDArray images = m.create(both, new Shape(2, 3, SIDE, SIDE));
            ConvNet net = ((Backbone.Conv) d.backbone()).model();
            try (SafeTensors st = SafeTensors.open(detector)) {
                Head head = Head.of(d.head().spec(), Map.of("head.weight", st.readFloats("head.head.weight"), "head.bias",
                        st.readFloats("head.head.bias")), m);
                NDArray pooled = net.forward(images, 0).pooled();
                float[] expected = Head.fakeProbability(head.logits(pooled.reshape(2, 1, 1, net.numFeatures()), null));
                assertThat(d.score(images)).containsExactly(expected);
            }
        }
    }

    /**
     * Grad-CAM of the probe's fake log-odds on held-out fakes, against the known square. The last
     * map is 4×4 at this input (cells 32 pixels apart, bilinear between them), so a 28-pixel
     * square can hold only part of the heat even when the map peaks on it. Measured when written:
     * 0.100 of the heat inside, uniform map 0.0625, every fake's map above uniform.
     */
    @Test
    void gradCamOfTheProbeLooksAtTheManipulatedSquare() {
        double sum = 0;
        int above = 0;
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, null, m)) {
            assertThat(Explainer.methodFor(d, null)).isEqualTo(ExplanationMethod.GRAD_CAM);
            for (HeatInRegionTest.Fake f : heldOut) {
                float[] x = d.preprocessing().load(f.file());
                HeatMap map = Explainer.explain(d, m.create(x, new Shape(1, 3, SIDE, SIDE)), ExplanationMethod.GRAD_CAM).get(0);
                assertThat(map.height()).isEqualTo(SIDE);
                assertThat(map.patchSize()).isEqualTo(Explainer.GRAD_CAM_CELL);
                double inside = map.normalised().heatFractionInside(f.x(), f.y(), f.x() + REGION, f.y() + REGION);
                sum += inside;
                if (inside > AREA_SHARE) {
                    above++;
                }
            }
        }
        double mean = sum / heldOut.size();
        System.out.printf(Locale.ROOT, "heat in the manipulated square, %s probe, grad-cam: %.3f of the heat (uniform map %.4f), %.0f%% of %d"
                + " fakes above uniform%n", GOLDEN, mean, AREA_SHARE, 100.0 * above / heldOut.size(), heldOut.size());
        assertThat(mean).isGreaterThan(1.4 * AREA_SHARE);
        assertThat((double) above / heldOut.size()).as("share of fakes whose map beats uniform").isGreaterThanOrEqualTo(0.9);
    }

    /**
     * An MLP head's Grad-CAM weights come from autograd; through a linear head they must equal the
     * closed form the linear path uses, W[fake] − W[real], for every image.
     */
    @Test
    void autogradLogOddsGradientEqualsTheLinearHeadsClosedForm() {
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, null, m)) {
            float[] w = d.head().parameters().get("head.weight").toFloatArray();
            int f = w.length / 2;
            float[] both = new float[2 * 3 * SIDE * SIDE];
            System.arraycopy(d.preprocessing().load(heldOut.get(2).file()), 0, both, 0, 3 * SIDE * SIDE);
            System.arraycopy(d.preprocessing().load(heldOut.get(3).file()), 0, both, 3 * SIDE * SIDE, 3 * SIDE * SIDE);
            try (NDManager scope = m.newSubManager()) {
                NDArray images = scope.create(both, new Shape(2, 3, SIDE, SIDE));
                float[] g = Explainer.logOddsGradient(((Backbone.Conv) d.backbone()).model(), d.head(), images, scope).toFloatArray();
                assertThat(g).hasSize(2 * f);
                for (int i = 0; i < 2; i++) {
                    for (int k = 0; k < f; k++) {
                        assertThat(g[i * f + k]).isCloseTo(w[f + k] - w[k], org.assertj.core.data.Offset.offset(1e-6f));
                    }
                }
            }
        }
    }

    @Test
    void methodsAndSettingsOfTheOtherFamilyAreRefusedInOneLine() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, null, m)) {
            NDArray x = m.zeros(new Shape(1, 3, SIDE, SIDE));
            for (ExplanationMethod vitOnly : new ExplanationMethod[] {ExplanationMethod.CLS_ATTENTION, ExplanationMethod.GRADIENT_ATTENTION}) {
                assertThatThrownBy(() -> Explainer.explain(d, x, vitOnly)).isInstanceOf(UserError.class).hasMessageContaining("grad-cam")
                        .hasMessageNotContaining("\n");
            }
        }
        assertThatThrownBy(() -> TrainingRun.run(settings(Approach.LNTUNE, FeatureVariant.POOLED), inputs(dir.resolve("ln.unmask")), false,
                Progress.SILENT)).isInstanceOf(UserError.class).hasMessageContaining("--approach probe or finetune")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> TrainingRun.run(settings(Approach.PROBE, FeatureVariant.CLS_CONCAT_4), inputs(dir.resolve("cls.unmask")), false,
                Progress.SILENT)).isInstanceOf(UserError.class).hasMessageContaining("pooled");
        assertThat(ModelDirectory.open(backbone).isConvNet()).isTrue();

        Path vit = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        assertThatThrownBy(() -> TrainingRun.run(settings(Approach.PROBE, FeatureVariant.POOLED), new TrainingRun.Inputs(vit,
                Datalist.read(dir.resolve("train.csv"), root), Datalist.read(dir.resolve("val.csv"), root), dir.resolve("vit.unmask"),
                dir.resolve("cache"), null, "test"), false, Progress.SILENT)).isInstanceOf(UserError.class).hasMessageContaining("for ConvNets");
    }
}
