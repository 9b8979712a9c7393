package dev.unmask.core.train;

import dev.unmask.core.tensor.Autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.Golden;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.tensor.Tensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approach 2 on ConvNets (the golden EfficientNet-B0 and Xception, random weights): units are
 * stages then the head convolutions, gradients through the trained units are right, frozen
 * tensors stay put, and the cached prefix trains exactly as the recomputed one.
 */
class ConvNetFineTuneTest {
    static final int SIDE = 64;
    static final int[] LABELS = {0, 1, 1, 0};

    static ConvNet load(String golden, NDManager m) {
        return ModelDirectory.open(Golden.dir(golden)).loadConvNet(m);
    }

    /** A head with weights large enough that the backbone's gradients are well above float32 noise. */
    static Head head(ConvNet net, NDManager m) {
        Head head = Head.initialise(HeadSpec.linear(FeatureVariant.POOLED, 1, 1, net.numFeatures()), 3, m);
        SplittableRandom r = new SplittableRandom(11);
        head.parameters().forEach((k, v) -> Tensors.assign(v, gaussian(r, (int) v.size(), 1 / Math.sqrt(net.numFeatures()))));
        return head;
    }

    static float[] gaussian(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        }
        return v;
    }

    static NDArray images(NDManager m, int side) {
        SplittableRandom r = new SplittableRandom(5);
        return m.create(gaussian(r, LABELS.length * 3 * side * side, 1), new Shape(LABELS.length, 3, side, side));
    }

    @Test
    void unitsAreTheStagesThenTheHeadConvolutions() {
        try (NDManager m = NDManager.newBaseManager(); ConvNet eff = load("effnet_b0", m); ConvNet xc = load("xception_f16", m)) {
            assertThat(eff.unitNames()).containsExactly("blocks.0", "blocks.1", "blocks.2", "blocks.3", "blocks.4", "blocks.5", "blocks.6",
                    "conv_head");
            assertThat(eff.unitTensors(7).keySet()).containsExactly("conv_head.weight", "conv_head.bias");
            assertThat(eff.unitTensors(6).keySet()).contains("blocks.6.0.conv_pwl.weight", "blocks.6.0.se.conv_reduce.bias", "conv_head.bias")
                    .allMatch(n -> n.startsWith("blocks.6.") || n.startsWith("conv_head."));
            // blocks.1 must not claim blocks.10+ (there are none in B0, but the prefix rule must hold), nor the stem.
            assertThat(eff.unitTensors(0).keySet()).noneMatch(n -> n.startsWith("conv_stem")).contains("blocks.0.0.conv_dw.weight");
            assertThat(eff.unitTensors(0).get("conv_head.weight").getShape()).isEqualTo(new Shape(1280, 320, 1, 1));

            assertThat(xc.unitNames()).hasSize(13).endsWith("block11", "block12", "conv3+conv4");
            assertThat(xc.unitTensors(12).keySet()).containsExactly("conv3.conv1.weight", "conv3.pointwise.weight", "conv3.pointwise.bias",
                    "conv4.conv1.weight", "conv4.pointwise.weight", "conv4.pointwise.bias");
            assertThat(xc.unitTensors(0).keySet()).noneMatch(n -> n.startsWith("conv1.") || n.startsWith("conv2."))
                    .contains("block1.rep.0.conv1.weight", "block1.skip.bias", "block11.rep.1.pointwise.weight")
                    .noneMatch(n -> n.startsWith("block1.") && unit(n).equals("block11"));
        }
    }

    private static String unit(String tensor) {
        return tensor.substring(0, tensor.indexOf('.'));
    }

    /** The prefix followed by the trained units is the whole network, as inference computes it. */
    @Test
    void prefixThenTrainedUnitsIsTheInferenceForward() {
        try (NDManager m = NDManager.newBaseManager(); ConvNet net = load("effnet_b0", m)) {
            NDArray x = images(m, SIDE);
            float[] whole = net.forward(x, 0).pooled().toFloatArray();
            for (int from : new int[] {0, 5, 8 - 1}) {
                float[] split = net.pooledFrom(net.prefix(x, from), from).toFloatArray();
                assertThat(Golden.relativeError(split, FineTuneModelTest.toDouble(whole))).as("from unit %d", from).isLessThan(1e-6);
            }
        }
    }

    /**
     * Autograd's gradient of the loss with respect to trained convolution weights and biases
     * (pointwise, depthwise, squeeze-excitation, head conv; Xception's separable convs, skip and
     * max pool) agrees with central finite differences at the entry where it is largest, within
     * 2 % plus the finite differences' own spread (this random-weight network's losses are in the
     * hundreds, so float32 rounding of the loss limits how small a step can be).
     */
    @Test
    void gradientsThroughTheTrainedUnitsMatchFiniteDifferences() {
        checkGradients("effnet_b0", 2, SIDE, List.of("blocks.6.0.conv_pw.weight", "blocks.6.0.conv_dw.weight", "blocks.6.0.se.conv_reduce.weight",
                "blocks.6.0.se.conv_expand.bias", "blocks.6.0.conv_pwl.weight", "conv_head.weight"));
        checkGradients("xception_f16", 2, 48, List.of("block12.rep.1.conv1.weight", "block12.rep.4.pointwise.weight", "block12.skip.weight",
                "conv3.pointwise.bias", "conv4.conv1.weight"));
    }

    private static void checkGradients(String golden, int blocks, int side, List<String> checked) {
        try (NDManager m = NDManager.newBaseManager(); ConvNet net = load(golden, m)) {
            int from = net.numUnits() - blocks;
            NDArray prefix = net.prefix(images(m, side), from);
            ConvNetFineTuneModel model = new ConvNetFineTuneModel(net, head(net, m), from);
            Map<String, float[]> grads;
            try (Optimizer none = new Sgd(new Sgd.Settings(1e-30))) {
                grads = TrainStep.run(model, prefix, LABELS, none, null, true).gradients();
            }
            for (String name : checked) {
                NDArray p = model.trainableParameters().get(name);
                assertThat(p).as(name).isNotNull();
                float[] g = grads.get(name);
                int at = IntStream.range(0, g.length).boxed().max((a, b) -> Float.compare(Math.abs(g[a]), Math.abs(g[b]))).orElseThrow();
                float[] w = p.toFloatArray();
                float eps = Math.max(2e-3f, Math.abs(w[at]) * 2e-2f);
                // Richardson extrapolation of two central differences: error O(eps^4), so eps can
                // stay well above float32's rounding of the loss.
                double wide = centralDifference(model, prefix, p, w, at, eps);
                double narrow = centralDifference(model, prefix, p, w, at, eps / 2);
                double numeric = (4 * narrow - wide) / 3;
                Tensors.assign(p, w);
                assertThat(Math.abs(g[at])).as(golden + " " + name + " gradient").isGreaterThan(1e-4f);
                assertThat(numeric).as(golden + " " + name + "[" + at + "] = " + w[at] + ": autograd " + g[at] + ", finite differences " + numeric + " (" + wide + ", " + narrow + ")")
                        .isCloseTo(g[at], org.assertj.core.data.Offset.offset(0.02 * Math.abs(g[at]) + Math.abs(wide - narrow)));
            }
        }
    }

    private static double centralDifference(ConvNetFineTuneModel model, NDArray batch, NDArray p, float[] w, int at, float eps) {
        float up = w[at] + eps;
        float down = w[at] - eps;
        // The step actually taken, after float32 rounding of the perturbed weight.
        return (lossWith(model, batch, p, w, at, up) - lossWith(model, batch, p, w, at, down)) / ((double) up - down);
    }

    private static double lossWith(ConvNetFineTuneModel model, NDArray batch, NDArray p, float[] w, int at, float value) {
        float[] changed = w.clone();
        changed[at] = value;
        Tensors.assign(p, changed);
        try (NDManager scope = batch.getManager().newSubManager()) {
            return CrossEntropy.mean(model.logits(batch, null), LABELS).getFloat();
        }
    }

    @Test
    void onlyTheLastUnitsAndTheHeadChange() {
        try (NDManager m = NDManager.newBaseManager(); ConvNet net = load("effnet_b0", m)) {
            int from = net.numUnits() - 2;
            NDArray x = images(m, SIDE);
            float[] prefixBefore = net.prefix(x, from).toFloatArray();
            Map<String, float[]> before = Tensors.values(net.unitTensors(0));
            Head head = head(net, m);
            Map<String, float[]> headBefore = Tensors.values(head.parameters());
            ConvNetFineTuneModel model = new ConvNetFineTuneModel(net, head, from);
            try (AdamW opt = new AdamW(AdamW.Settings.paper(), m)) {
                for (int i = 0; i < 2; i++) {
                    TrainStep.run(model, net.prefix(x, from), LABELS, opt, null, false);
                }
            }
            assertThat(model.backboneTensors().keySet()).isEqualTo(net.unitTensors(from).keySet());
            net.unitTensors(0).forEach((name, t) -> {
                boolean trained = name.startsWith("blocks.6.") || name.startsWith("conv_head.");
                assertThat(java.util.Arrays.equals(t.toFloatArray(), before.get(name))).as(name + (trained ? " trains" : " stays frozen"))
                        .isEqualTo(!trained);
            });
            head.parameters().forEach((k, v) -> assertThat(v.toFloatArray()).as(k).isNotEqualTo(headBefore.get(k)));
            // The stem (not a unit) and the frozen stages give the same prefix as before.
            assertThat(net.prefix(x, from).toFloatArray()).isEqualTo(prefixBefore);
        }
    }

    @TempDir
    Path dir;

    private TrainingRun.Result train(Path backbone, boolean prefixCache, FrozenPart frozen, String name) {
        TrainSettings s = new TrainSettings(Approach.FINETUNE, FeatureVariant.POOLED, HeadSpec.Kind.LINEAR, 0, 0f, 2, prefixCache, false,
                SIDE, 2, TrainingRun.EXTRACT_BATCH, 1e-4, 0.04, 0, 0);
        return TrainingRun.run(s, new TrainingRun.Inputs(backbone, Datalist.read(dir.resolve("train.csv"), dir),
                Datalist.read(dir.resolve("val.csv"), dir), dir.resolve(name + ".unmask"), dir.resolve("cache-" + name), null, "test"),
                false, Progress.SILENT, frozen);
    }

    /**
     * The prefix cache (f32 here) changes only the cost: reading the stored prefix, recomputing it
     * for every batch ({@code unmask bench --train}'s comparison) and {@code --no-prefix-cache}
     * give the same losses and validation scores; only the first writes a cache. Training batches
     * are as large as a cache fill's, so both compute the prefix in batches of the same size:
     * libtorch's convolutions round differently at other batch sizes, and this random-weight
     * network (pooled features in the hundreds) would amplify that beyond 1e-5 within a step.
     */
    @Test
    void theCachedPrefixTrainsAsTheRecomputedOne() throws Exception {
        Path backbone = Golden.copyModel("effnet_b0", dir.resolve("effnet_b0"));
        FrozenPartTest.writeNoiseSet(dir, SIDE, 2 * TrainingRun.EXTRACT_BATCH);
        TrainingRun.Result cached = train(backbone, true, FrozenPart.CACHED, "cached");
        TrainingRun.Result recomputed = train(backbone, true, FrozenPart.RECOMPUTED, "recomputed");
        TrainingRun.Result noCache = train(backbone, false, FrozenPart.CACHED, "no-cache");
        FrozenPartTest.assertSameTraining(cached, recomputed);
        FrozenPartTest.assertSameTraining(cached, noCache);
        assertThat(cached.history().get(1).trainLoss()).as("it trains").isNotEqualTo(cached.history().get(0).trainLoss());
        assertThat(FrozenPartTest.filesUnder(dir.resolve("cache-cached"))).isPositive();
        assertThat(FrozenPartTest.filesUnder(dir.resolve("cache-recomputed"))).isZero();
        assertThat(FrozenPartTest.filesUnder(dir.resolve("cache-no-cache"))).isZero();

        TrainSettings tooMany = new TrainSettings(Approach.FINETUNE, FeatureVariant.POOLED, HeadSpec.Kind.LINEAR, 0, 0f, 9, true, false,
                SIDE, 1, 8, 1e-3, 0.04, 0, 0);
        assertThatThrownBy(() -> TrainingRun.run(tooMany, new TrainingRun.Inputs(backbone, Datalist.read(dir.resolve("train.csv"), dir),
                Datalist.read(dir.resolve("val.csv"), dir), dir.resolve("nine.unmask"), dir.resolve("cache-nine"), null, "test"),
                false, Progress.SILENT)).isInstanceOf(UserError.class).hasMessageContaining("between 1 and the 8 units").hasMessageContaining("conv_head");
    }
}
