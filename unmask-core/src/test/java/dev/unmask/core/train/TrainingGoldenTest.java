package dev.unmask.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.head.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadInput;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Training semantics against PyTorch: the golden training cases run three optimizer steps of the
 * paper's two approaches on one batch; every recorded value must match within 1e-4 relative.
 * Hyper-parameters, features and the trainable set are read from each case's recipe.json.
 */
class TrainingGoldenTest {
    static final double TOL = 1e-4;
    /**
     * DJL's AdamW lands only ~1e-4 away from PyTorch after three steps, at the edge of TOL: to
     * tell the two apart, the trained tensors are also held to this tighter bound (float32
     * noise measured here: 4e-8, DJL's update 3e-4).
     */
    static final double OURS_ADAMW_BOUND = 1e-5;

    @Test
    void sgdProbeOnConcatenatedClsMatchesPyTorch() throws Exception {
        Case c = new Case("train_probe_cls_concat4");
        assertThat(c.recipe.at("/optimizer/type").asText()).isEqualTo("torch.optim.SGD");
        assertThat(c.recipe.at("/optimizer/kwargs/momentum").asDouble()).isZero();
        assertThat(c.recipe.at("/optimizer/kwargs/weight_decay").asDouble()).isZero();
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = c.backbone(m)) {
            FeatureVariant variant = c.variant();
            NDArray images = c.images(vit.config(), m);
            NDArray features = HeadInput.extract(vit, images, variant);
            int n = variant.blocks(vit.config().depth());
            assertClose("initial_features", features.toFloatArray(), Golden.flat(c.exp.get("initial_features")));
            Head head = Head.of(HeadSpec.linear(variant, n, 1, vit.config().embedDim()), c.headInit(), m);
            ProbeModel model = new ProbeModel(head);
            assertThat(new ArrayList<>(model.trainableParameters().keySet())).isEqualTo(c.trainable());
            try (Sgd sgd = new Sgd(new Sgd.Settings(c.recipe.at("/optimizer/kwargs/lr").asDouble()))) {
                c.runSteps(model, features, sgd, Map.of());
            }
            assertClose("final_logits", head.logits(features, null).toFloatArray(), Golden.flat(c.exp.get("final_logits")));
        }
    }

    @Test
    void adamWFineTuneOfLastBlockMatchesPyTorch() throws Exception {
        Case c = new Case("train_ft_last1");
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = c.backbone(m)) {
            Map<String, float[]> before = snapshot(vit.parameters());
            FineTuneModel model = c.fineTuneModel(vit, m);
            NDArray images = c.images(vit.config(), m);
            try (AdamW adamW = new AdamW(c.adamWSettings(), m)) {
                c.runSteps(model, images, adamW, before);
                double err = worstTensorError(c.exp.at("/steps/2/params"), model.trainableParameters());
                System.out.printf("our AdamW: worst trained-tensor relative error after 3 steps %.2e%n", err);
                assertThat(err).isLessThanOrEqualTo(OURS_ADAMW_BOUND);
                // The moments after step 1 are checked inside runSteps; here the frozen tensors:
                // PyTorch skips them entirely (no decay), so they must be bit-identical.
                for (Map.Entry<String, NDArray> e : vit.parameters().entrySet()) {
                    if (!model.trainableParameters().containsKey(e.getKey())) {
                        assertThat(e.getValue().toFloatArray()).as(e.getKey()).isEqualTo(before.get(e.getKey()));
                    }
                }
            }
            assertThat(c.exp.get("frozen_unchanged_bitexact").asBoolean()).isTrue();
            NDArray logits = model.logits(images, null);
            assertClose("final_logits", logits.toFloatArray(), Golden.flat(c.exp.get("final_logits")));
        }
    }

    /**
     * Why {@link AdamW} is written by hand: DJL's own {@code Optimizer.adamW()} on the same case
     * lands measurably away from PyTorch (eps is not bias-corrected), beyond this test's tolerance.
     */
    @Test
    void djlsBuiltInAdamWDoesNotReproducePyTorch() throws Exception {
        Case c = new Case("train_ft_last1");
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = c.backbone(m)) {
            FineTuneModel model = c.fineTuneModel(vit, m);
            NDArray images = c.images(vit.config(), m);
            AdamW.Settings s = c.adamWSettings();
            ai.djl.training.optimizer.Optimizer djl = ai.djl.training.optimizer.Optimizer.adamW()
                    .optLearningRateTracker(ai.djl.training.tracker.Tracker.fixed((float) s.learningRate()))
                    .optBeta1((float) s.beta1()).optBeta2((float) s.beta2()).optEpsilon((float) s.eps())
                    .optWeightDecays((float) s.weightDecay()).build();
            Optimizer viaDjl = new Optimizer() {
                @Override
                public void step(Map<String, NDArray> parameters, Map<String, NDArray> gradients) {
                    parameters.forEach((k, p) -> djl.update(k, p, gradients.get(k)));
                }

                @Override
                public Map<String, float[]> state() {
                    return Map.of();
                }

                @Override
                public void restore(Map<String, float[]> state, Map<String, NDArray> parameters) {}

                @Override
                public void close() {}
            };
            for (int s1 = 0; s1 < 3; s1++) {
                TrainStep.run(model, images, c.labels, viaDjl, null, false);
            }
            double err = worstTensorError(c.exp.at("/steps/2/params"), model.trainableParameters());
            System.out.printf("DJL adamW: worst trained-tensor relative error after 3 steps %.2e%n", err);
            assertThat(err).isGreaterThan(10 * OURS_ADAMW_BOUND);
        }
    }

    /** One golden training case: its recipe, expected values, batch and initial head. */
    static final class Case {
        final Path dir;
        final JsonNode recipe;
        final JsonNode exp;
        final int[] labels;

        Case(String name) throws Exception {
            dir = Golden.dir(name);
            recipe = StrictJson.read(dir.resolve("recipe.json"));
            exp = Golden.expected(name);
            List<String> lines = Files.readAllLines(dir.resolve(recipe.at("/input/labels_csv").asText()));
            assertThat(lines.get(0)).isEqualTo("file,label");
            labels = lines.stream().skip(1).mapToInt(l -> Integer.parseInt(l.split(",")[1].trim())).toArray();
            assertThat(labels).containsExactly(intArray(recipe.at("/input/labels")));
            assertThat(recipe.at("/loss/type").asText()).isEqualTo("torch.nn.CrossEntropyLoss");
            assertThat(recipe.at("/loss/reduction").asText()).isEqualTo("mean");
        }

        VisionTransformer backbone(NDManager m) {
            return ModelDirectory.open(dir.resolve(recipe.at("/backbone/dir").asText())).loadViT(m);
        }

        FeatureVariant variant() {
            return switch (recipe.at("/features/kind").asText()) {
                case "concat_last4_normed_cls" -> FeatureVariant.CLS_CONCAT_4;
                case "final_normed_cls" -> FeatureVariant.CLS_LAST;
                default -> throw new AssertionError("unknown feature kind " + recipe.at("/features/kind"));
            };
        }

        List<String> trainable() {
            List<String> t = new ArrayList<>();
            recipe.get("trainable").forEach(n -> t.add(n.asText()));
            return t;
        }

        AdamW.Settings adamWSettings() {
            JsonNode k = recipe.at("/optimizer/kwargs");
            assertThat(recipe.at("/optimizer/type").asText()).isEqualTo("torch.optim.AdamW");
            assertThat(k.get("amsgrad").asBoolean()).isFalse();
            return new AdamW.Settings(k.get("lr").asDouble(), k.get("betas").get(0).asDouble(), k.get("betas").get(1).asDouble(),
                    k.get("eps").asDouble(), k.get("weight_decay").asDouble());
        }

        FineTuneModel fineTuneModel(VisionTransformer vit, NDManager m) {
            ViTConfig cfg = vit.config();
            List<String> backboneNames = trainable().stream().filter(n -> !n.startsWith("head.")).toList();
            int k = (int) backboneNames.stream().filter(n -> n.startsWith("blocks.")).map(n -> n.split("\\.")[1]).distinct().count();
            // Our definition of "train the last k blocks + final norm" must give the recipe's set.
            assertThat(new BackboneTuning(BackboneTuning.FINETUNE, k, false).parameterNames(cfg)).isEqualTo(backboneNames);
            FeatureVariant variant = variant();
            Head head = Head.of(HeadSpec.linear(variant, variant.blocks(cfg.depth()), 1, cfg.embedDim()), headInit(), m);
            return new FineTuneModel(vit, head, backboneNames, 0);
        }

        Map<String, float[]> headInit() {
            Map<String, float[]> v = new LinkedHashMap<>();
            try (SafeTensors st = SafeTensors.open(dir.resolve(recipe.at("/head/init_file").asText()))) {
                for (String name : st.tensors().keySet()) {
                    v.put(name.replaceFirst("^head\\.", "head."), st.readFloats(name));
                }
            }
            return v;
        }

        NDArray images(ViTConfig cfg, NDManager m) {
            JsonNode files = recipe.at("/input/files");
            int h = recipe.at("/input/size_hw/0").asInt();
            int w = recipe.at("/input/size_hw/1").asInt();
            float[] all = new float[files.size() * 3 * h * w];
            for (int i = 0; i < files.size(); i++) {
                float[] x = ImageTensor.normalize(ImageTensor.readRgb(dir.resolve(files.get(i).asText())), cfg.mean(), cfg.std());
                System.arraycopy(x, 0, all, i * x.length, x.length);
            }
            double sum = 0;
            for (float v : all) {
                sum += v;
            }
            assertThat(sum).isCloseTo(exp.at("/input_check/sum").asDouble(), org.assertj.core.data.Offset.offset(1e-2));
            return m.create(all, new Shape(files.size(), 3, h, w));
        }

        /** Three steps; after each, the loss before it and every trained tensor after it. */
        void runSteps(Trainable model, NDArray batch, Optimizer opt, Map<String, float[]> initial) {
            double lr = recipe.at("/optimizer/kwargs/lr").asDouble();
            int steps = recipe.get("steps").asInt();
            for (int step = 1; step <= steps; step++) {
                final int s = step;
                TrainStep.Result r = TrainStep.run(model, batch, labels, opt, null, s == 1);
                JsonNode e = exp.get("steps").get(s - 1);
                assertThat(e.get("step").asInt()).isEqualTo(s);
                assertClose("step " + s + " loss", new float[] {(float) r.loss()}, new double[] {e.get("loss_before_update").asDouble()});
                Map<String, NDArray> params = model.trainableParameters();
                assertClose("step " + s + " head.weight", params.get("head.weight").toFloatArray(), Golden.flat(e.get("head.weight")));
                assertClose("step " + s + " head.bias", params.get("head.bias").toFloatArray(), Golden.flat(e.get("head.bias")));
                e.get("params").fields().forEachRemaining(p -> {
                    NDArray actual = params.get(p.getKey());
                    assertThat(actual).as("trained tensor " + p.getKey()).isNotNull();
                    assertSummary("step " + s + " " + p.getKey(), actual.toFloatArray(), p.getValue(),
                            p.getKey().endsWith("attn.qkv.bias"), initial.get(p.getKey()), 3 * lr);
                });
                assertThat(e.get("params").size()).isEqualTo(params.size() - 2);
                if (s == 1) {
                    JsonNode g = exp.get("grad_step1");
                    assertThat(g.size()).isEqualTo(params.size());
                    g.fields().forEachRemaining(p -> assertSummary("grad " + p.getKey(), r.gradients().get(p.getKey()), p.getValue(),
                            p.getKey().endsWith("attn.qkv.bias"), null, 0));
                    if (opt instanceof AdamW a) {
                        JsonNode st = exp.get("adamw_state_after_step1");
                        assertThat(st.size()).isEqualTo(params.size());
                        st.fields().forEachRemaining(p -> {
                            assertThat(a.stepCount(p.getKey())).isEqualTo(p.getValue().get("step").asInt());
                            boolean keyBias = p.getKey().endsWith("attn.qkv.bias");
                            assertSummary("exp_avg " + p.getKey(), a.expAvg(p.getKey()).toFloatArray(), p.getValue().get("exp_avg"), keyBias, null, 0);
                            assertSummary("exp_avg_sq " + p.getKey(), a.expAvgSq(p.getKey()).toFloatArray(), p.getValue().get("exp_avg_sq"),
                                    keyBias, null, 0);
                        });
                    }
                }
            }
        }
    }

    /**
     * A tensor against the golden summary {shape, l2, sum, first8, last8[, full][, parts]}. The sum
     * of n values is only as exact as its summands: it is compared within 1e-4 of Σ|x|. A
     * {@code parts.k} slice (the key bias, whose gradient is rounding noise) is compared as the
     * golden README says: for values, |value − initial| ≤ 3·lr; for gradients and moments, tiny
     * next to the q and v parts.
     */
    static void assertSummary(String what, float[] actual, JsonNode exp, boolean keyBias, float[] initial, double keyBiasStep) {
        assertThat(actual).as(what).isNotNull();
        long n = 1;
        for (JsonNode d : exp.get("shape")) {
            n *= d.asLong();
        }
        assertThat((long) actual.length).as(what + " size").isEqualTo(n);
        if (exp.has("full")) {
            assertClose(what + " full", actual, Golden.flat(exp.get("full")));
        }
        if (exp.has("parts")) {
            int part = actual.length / 3;
            String[] names = {"q", "k", "v"};
            double qvScale = 0;
            for (int i = 0; i < 3; i++) {
                float[] slice = java.util.Arrays.copyOfRange(actual, i * part, (i + 1) * part);
                JsonNode e = exp.get("parts").get(names[i]);
                if (i != 1 || !keyBias) {
                    assertSummary(what + "[" + names[i] + "]", slice, e, false, null, 0);
                    qvScale = Math.max(qvScale, e.get("l2").asDouble());
                } else if (initial != null) {
                    for (int j = 0; j < part; j++) {
                        assertThat((double) Math.abs(slice[j] - initial[part + j])).as(what + "[k] moved from its initial value")
                                .isLessThanOrEqualTo(keyBiasStep);
                    }
                } else {
                    assertThat(l2(slice)).as(what + "[k] is rounding noise").isLessThanOrEqualTo(1e-5 * qvScale);
                }
            }
            if (keyBias) {
                // The whole tensor's norm is dominated by q and v; its sum is not compared (k is noise).
                assertThat(relative(l2(actual), exp.get("l2").asDouble())).as(what + " l2").isLessThanOrEqualTo(1e-3);
                return;
            }
        }
        assertThat(relative(l2(actual), exp.get("l2").asDouble())).as(what + " l2").isLessThanOrEqualTo(TOL);
        double sum = 0;
        double abs = 0;
        for (float v : actual) {
            sum += v;
            abs += Math.abs(v);
        }
        assertThat(Math.abs(sum - exp.get("sum").asDouble())).as(what + " sum").isLessThanOrEqualTo(TOL * abs);
        assertClose(what + " first8", first8(actual), Golden.flat(exp.get("first8")));
        assertClose(what + " last8", java.util.Arrays.copyOfRange(actual, Math.max(0, actual.length - 8), actual.length),
                Golden.flat(exp.get("last8")));
    }

    /** Largest relative error of l2, first8 and last8 over the trained backbone tensors (key bias excluded). */
    static double worstTensorError(JsonNode stepParams, Map<String, NDArray> params) {
        double worst = 0;
        for (var it = stepParams.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().endsWith("attn.qkv.bias")) {
                continue;
            }
            float[] a = params.get(e.getKey()).toFloatArray();
            worst = Math.max(worst, relative(l2(a), e.getValue().get("l2").asDouble()));
            worst = Math.max(worst, Golden.relativeError(first8(a), Golden.flat(e.getValue().get("first8"))));
            worst = Math.max(worst, Golden.relativeError(java.util.Arrays.copyOfRange(a, a.length - 8, a.length),
                    Golden.flat(e.getValue().get("last8"))));
        }
        return worst;
    }

    static float[] first8(float[] a) {
        return java.util.Arrays.copyOf(a, Math.min(8, a.length));
    }

    static double l2(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    static double relative(double a, double b) {
        return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
    }

    static final Map<String, Double> WORST = new LinkedHashMap<>();

    static void assertClose(String what, float[] actual, double[] expected) {
        double err = Golden.relativeError(actual, expected);
        WORST.merge(what.split(" ")[0], err, Math::max);
        assertThat(err).as(what + " relative error").isLessThanOrEqualTo(TOL);
    }

    static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    static int[] intArray(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    @org.junit.jupiter.api.AfterAll
    static void report() {
        WORST.forEach((k, v) -> System.out.printf("worst relative error (%s): %.2e%n", k, v));
    }
}
