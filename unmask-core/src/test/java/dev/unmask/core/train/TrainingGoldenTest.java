package dev.unmask.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.model.HeadInput;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training semantics against PyTorch: each golden training case runs a few optimizer steps of one
 * of the paper's approaches on one batch; every recorded value must match within 1e-4 relative.
 * Every training case under the golden root runs, and everything it needs comes from its own
 * files: the optimizer, features, head and trainable set from recipe.json, the tensors whose
 * values are rounding noise from expected.json, the head's first values from its init file.
 */
class TrainingGoldenTest {
    static final double TOL = 1e-4;
    /**
     * DJL's AdamW lands only ~1e-4 away from PyTorch after three steps, at the edge of TOL: to
     * tell the two apart, the trained tensors are also held to this tighter bound (float32
     * noise measured here: 4e-8, DJL's update 3e-4).
     */
    static final double OURS_ADAMW_BOUND = 1e-5;
    static final String ADAMW = "torch.optim.AdamW";
    static final String SGD = "torch.optim.SGD";

    static List<String> cases() {
        return Golden.cases(Golden.Family.TRAINING);
    }

    static List<String> adamWCases() {
        return cases().stream().filter(n -> new Case(n).optimizerType().equals(ADAMW)).toList();
    }

    @ParameterizedTest(name = "{0} matches PyTorch")
    @MethodSource("cases")
    void matchesPyTorch(String name) {
        Case c = new Case(name);
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = c.backbone(m)) {
            Map<String, float[]> backboneBefore = snapshot(vit.parameters());
            Setup s = c.setUp(vit, m);
            Map<String, float[]> initial = new HashMap<>(backboneBefore);
            initial.putAll(snapshot(s.head.parameters()));
            assertClose("initial_logits", s.model.logits(s.batch, null).toFloatArray(), Golden.flat(c.exp.get("initial_logits")));
            try (Optimizer opt = c.optimizer(m)) {
                c.runSteps(s, opt, initial);
                if (opt instanceof AdamW) {
                    double err = worstTensorError(c.exp.at("/steps/" + (c.steps() - 1) + "/params"), s.names, c.noise);
                    System.out.printf("%s our AdamW: worst trained-tensor relative error after %d steps %.2e%n", name, c.steps(), err);
                    assertThat(err).isLessThanOrEqualTo(OURS_ADAMW_BOUND);
                }
            }
            // PyTorch skips frozen tensors entirely (no gradient, no decay): they must be bit-identical.
            for (Map.Entry<String, NDArray> e : vit.parameters().entrySet()) {
                if (!s.model.trainableParameters().containsKey(e.getKey())) {
                    assertThat(e.getValue().toFloatArray()).as(e.getKey()).isEqualTo(backboneBefore.get(e.getKey()));
                }
            }
            if (c.exp.has("frozen_unchanged_bitexact")) {
                assertThat(c.exp.get("frozen_unchanged_bitexact").asBoolean()).isTrue();
            }
            assertClose("final_logits", s.model.logits(s.batch, null).toFloatArray(), Golden.flat(c.exp.get("final_logits")));
        }
    }

    /**
     * Why {@link AdamW} is written by hand: DJL's own {@code Optimizer.adamW()} on the same case
     * lands measurably away from PyTorch (eps is not bias-corrected), beyond this test's tolerance.
     */
    @ParameterizedTest(name = "DJL's built-in AdamW does not reproduce {0}")
    @MethodSource("adamWCases")
    void djlsBuiltInAdamWDoesNotReproducePyTorch(String name) {
        Case c = new Case(name);
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = c.backbone(m)) {
            Setup s = c.setUp(vit, m);
            AdamW.Settings st = c.adamWSettings();
            ai.djl.training.optimizer.Optimizer djl = ai.djl.training.optimizer.Optimizer.adamW()
                    .optLearningRateTracker(ai.djl.training.tracker.Tracker.fixed((float) st.learningRate()))
                    .optBeta1((float) st.beta1()).optBeta2((float) st.beta2()).optEpsilon((float) st.eps())
                    .optWeightDecays((float) st.weightDecay()).build();
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
            for (int step = 0; step < c.steps(); step++) {
                TrainStep.run(s.model, s.batch, c.labels, viaDjl, null, false);
            }
            double err = worstTensorError(c.exp.at("/steps/" + (c.steps() - 1) + "/params"), s.names, c.noise);
            System.out.printf("%s DJL adamW: worst trained-tensor relative error after %d steps %.2e%n", name, c.steps(), err);
            assertThat(err).isGreaterThan(10 * OURS_ADAMW_BOUND);
        }
    }

    /** The model a case trains, its batch (images, or frozen features for a probe) and the name mapping. */
    record Setup(Trainable model, Head head, NDArray batch, ReferenceNames names) {}

    /** One golden training case: its recipe, expected values, batch and initial head. */
    static final class Case {
        final String name;
        final Path dir;
        final JsonNode recipe;
        final JsonNode exp;
        final int[] labels;
        /** Flat index ranges per tensor whose values are float32 rounding noise (expected.json noise_driven). */
        final Map<String, List<int[]>> noise = new HashMap<>();

        Case(String name) {
            this.name = name;
            dir = Golden.dir(name);
            recipe = StrictJson.read(dir.resolve("recipe.json"));
            exp = Golden.expected(name);
            List<String> lines;
            try {
                lines = Files.readAllLines(dir.resolve(text("/input/labels_csv")));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(lines.get(0)).isEqualTo("file,label");
            labels = lines.stream().skip(1).mapToInt(l -> Integer.parseInt(l.split(",")[1].trim())).toArray();
            assertThat(labels).containsExactly(intArray(recipe.at("/input/labels")));
            assertThat(text("/loss/type")).as(name + " loss").isEqualTo("torch.nn.CrossEntropyLoss");
            assertThat(text("/loss/reduction")).as(name + " loss reduction").isEqualTo("mean");
            assertThat(recipe.at("/loss/label_smoothing").asDouble(0)).as(name + " label smoothing").isZero();
            assertThat(recipe.at("/loss/weight").isMissingNode() || recipe.at("/loss/weight").isNull()).as(name + " class weights").isTrue();
            Pattern range = Pattern.compile("(.+)\\[(\\d+):(\\d+)]");
            exp.at("/noise_driven/tensors").forEach(t -> {
                Matcher mt = range.matcher(t.asText());
                assertThat(mt.matches()).as(name + " noise_driven entry " + t).isTrue();
                noise.computeIfAbsent(mt.group(1), k -> new ArrayList<>())
                        .add(new int[] {Integer.parseInt(mt.group(2)), Integer.parseInt(mt.group(3))});
            });
        }

        String text(String pointer) {
            JsonNode n = recipe.at(pointer);
            assertThat(n.isTextual()).as(name + " recipe.json " + pointer).isTrue();
            return n.asText();
        }

        String optimizerType() {
            return text("/optimizer/type");
        }

        int steps() {
            return recipe.get("steps").asInt();
        }

        double learningRate() {
            return recipe.at("/optimizer/kwargs/lr").asDouble();
        }

        VisionTransformer backbone(NDManager m) {
            return ModelDirectory.open(dir.resolve(text("/backbone/dir"))).loadViT(m);
        }

        /** The feature variant the recipe's {@code features.kind} names ({@link #variantOf}). */
        FeatureVariant variant() {
            FeatureVariant v = variantOf(text("/features/kind"));
            assertThat(v).as(name + ": recipe.json features.kind \"" + text("/features/kind") + "\" is no feature variant Unmask implements")
                    .isNotNull();
            return v;
        }

        /** The recipe's trainable tensors, in its order. */
        List<String> trainable() {
            List<String> t = new ArrayList<>();
            recipe.get("trainable").forEach(n -> t.add(n.asText()));
            return t;
        }

        /**
         * Our tuning whose trained backbone tensors are exactly the recipe's (tokens included): a
         * recipe that trains a set none of our approaches gives fails here, naming the set.
         */
        BackboneTuning tuning(ViTConfig cfg, Set<String> backboneNames) {
            for (String approach : List.of(BackboneTuning.FINETUNE, BackboneTuning.LNTUNE)) {
                for (int k = 1; k <= cfg.depth(); k++) {
                    for (boolean tokens : new boolean[] {false, true}) {
                        BackboneTuning t = new BackboneTuning(approach, k, tokens);
                        if (new TreeSet<>(t.parameterNames(cfg)).equals(new TreeSet<>(backboneNames))) {
                            return t;
                        }
                    }
                }
            }
            throw new AssertionError(name + ": no backbone tuning (finetune/lntune, last k blocks, tokens or not) trains exactly "
                    + backboneNames);
        }

        /** The model the recipe trains, its batch and its head, checked against the recipe's own description. */
        Setup setUp(VisionTransformer vit, NDManager m) {
            ViTConfig cfg = vit.config();
            FeatureVariant variant = variant();
            NDArray images = images(cfg, m);
            int h = recipe.at("/input/size_hw/0").asInt();
            int w = recipe.at("/input/size_hw/1").asInt();
            HeadSpec spec = HeadSpec.linear(variant, variant.blocks(cfg.depth()), HeadInput.tokens(vit, variant, h, w), cfg.embedDim());
            assertThat(text("/head/type")).as(name + " head type").isEqualTo("torch.nn.Linear");
            assertThat(recipe.at("/head/in_features").asLong()).as(name + " head in_features vs our " + variant).isEqualTo(spec.featureWidth());
            if (recipe.at("/features/dim").isNumber()) {
                assertThat(recipe.at("/features/dim").asLong()).as(name + " features.dim vs our " + variant).isEqualTo(spec.featureWidth());
            }
            Map<String, long[]> headShapes = spec.parameterShapes();
            // A backbone's own classifier (timm's head.*) is never trained: head names are the new head's.
            Set<String> backboneNames = new LinkedHashSet<>(trainable());
            backboneNames.removeIf(n -> !vit.parameters().containsKey(n) || headShapes.containsKey(n));
            NDArray features = HeadInput.extract(vit, images, variant);
            if (variant.combine() == FeatureVariant.Combine.CONCAT && exp.has("initial_features")) {
                assertClose("initial_features", features.toFloatArray(), Golden.flat(exp.get("initial_features")));
            }
            Head head = Head.of(spec, headInit(headShapes), m);
            Trainable model;
            NDArray batch;
            if (backboneNames.isEmpty()) {
                assertThat(recipe.at("/approach").asInt(1)).as(name + " approach with a frozen backbone").isEqualTo(1);
                model = new ProbeModel(head);
                batch = features;
            } else {
                assertThat(recipe.at("/approach").asInt(2)).as(name + " approach with trained backbone tensors").isEqualTo(2);
                BackboneTuning tuning = tuning(cfg, backboneNames);
                model = new FineTuneModel(vit, head, tuning.parameterNames(cfg), 0);
                batch = images;
            }
            ReferenceNames names = new ReferenceNames(trainable(), model.trainableParameters());
            return new Setup(model, head, batch, names);
        }

        /** The head's first values from the init file, its tensor names mapped onto ours. */
        Map<String, float[]> headInit(Map<String, long[]> ourShapes) {
            Map<String, float[]> file = new LinkedHashMap<>();
            try (SafeTensors st = SafeTensors.open(dir.resolve(text("/head/init_file")))) {
                for (String n : st.tensors().keySet()) {
                    file.put(n, st.readFloats(n));
                }
            }
            Map<String, Long> sizes = new LinkedHashMap<>();
            ourShapes.forEach((k, v) -> sizes.put(k, Arrays.stream(v).reduce(1, Math::multiplyExact)));
            Map<String, ReferenceNames.Slice> slices = ReferenceNames.map(name + " head_init", file.keySet(), sizes);
            Map<String, float[]> out = new LinkedHashMap<>();
            sizes.forEach((k, n) -> out.put(k, new float[Math.toIntExact(n)]));
            file.forEach((k, v) -> {
                ReferenceNames.Slice s = slices.get(k);
                assertThat(v).as(name + " head_init " + k).hasSize(s.length());
                System.arraycopy(v, 0, out.get(s.ours()), s.offset(), s.length());
            });
            return out;
        }

        AdamW.Settings adamWSettings() {
            JsonNode k = recipe.at("/optimizer/kwargs");
            assertThat(optimizerType()).isEqualTo(ADAMW);
            assertThat(k.path("amsgrad").asBoolean(false)).as(name + " amsgrad").isFalse();
            assertThat(k.path("maximize").asBoolean(false)).as(name + " maximize").isFalse();
            return new AdamW.Settings(k.get("lr").asDouble(), k.get("betas").get(0).asDouble(), k.get("betas").get(1).asDouble(),
                    k.get("eps").asDouble(), k.get("weight_decay").asDouble());
        }

        Optimizer optimizer(NDManager m) {
            JsonNode k = recipe.at("/optimizer/kwargs");
            return switch (optimizerType()) {
                case ADAMW -> new AdamW(adamWSettings(), m);
                case SGD -> {
                    // Our Sgd is plain SGD, what the paper's probe uses; a case asking for more fails here.
                    for (String plain : List.of("momentum", "dampening", "weight_decay")) {
                        assertThat(k.path(plain).asDouble(0)).as(name + " SGD " + plain).isZero();
                    }
                    assertThat(k.path("nesterov").asBoolean(false)).as(name + " SGD nesterov").isFalse();
                    yield new Sgd(new Sgd.Settings(k.get("lr").asDouble()));
                }
                default -> throw new AssertionError(name + ": optimizer " + optimizerType() + " is not implemented");
            };
        }

        NDArray images(ViTConfig cfg, NDManager m) {
            JsonNode files = recipe.at("/input/files");
            int h = recipe.at("/input/size_hw/0").asInt();
            int w = recipe.at("/input/size_hw/1").asInt();
            float[] all = new float[files.size() * 3 * h * w];
            for (int i = 0; i < files.size(); i++) {
                float[] x = ImageTensor.normalize(ImageTensor.readRgb(dir.resolve(files.get(i).asText())), cfg.mean(), cfg.std());
                assertThat(x).as(name + " " + files.get(i) + " at size_hw").hasSize(3 * h * w);
                System.arraycopy(x, 0, all, i * x.length, x.length);
            }
            double sum = 0;
            for (float v : all) {
                sum += v;
            }
            assertThat(sum).isCloseTo(exp.at("/input_check/sum").asDouble(), org.assertj.core.data.Offset.offset(1e-2));
            return m.create(all, new Shape(files.size(), 3, h, w));
        }

        /**
         * The recipe's steps; after each, the loss before it and every trained tensor after it
         * (tensors recorded in full at the step's top level, summaries under {@code params}).
         */
        void runSteps(Setup s, Optimizer opt, Map<String, float[]> initial) {
            ReferenceNames names = s.names;
            Set<String> reference = new TreeSet<>(trainable());
            double noiseStep = 3 * learningRate();
            for (int step = 1; step <= steps(); step++) {
                final int at = step;
                TrainStep.Result r = TrainStep.run(s.model, s.batch, labels, opt, null, at == 1);
                JsonNode e = exp.get("steps").get(at - 1);
                assertThat(e.get("step").asInt()).isEqualTo(at);
                assertClose("step " + at + " loss", new float[] {(float) r.loss()}, new double[] {e.get("loss_before_update").asDouble()});
                Set<String> recorded = new TreeSet<>();
                e.fields().forEachRemaining(f -> {
                    if (f.getKey().equals("step") || f.getKey().equals("loss_before_update") || f.getKey().equals("params")) {
                        return;
                    }
                    recorded.add(f.getKey());
                    assertClose("step " + at + " " + f.getKey(), names.value(f.getKey()), Golden.flat(f.getValue()));
                });
                e.get("params").fields().forEachRemaining(p -> {
                    recorded.add(p.getKey());
                    assertSummary("step " + at + " " + p.getKey(), names.value(p.getKey()), p.getValue(), noise.get(p.getKey()),
                            names.slice(p.getKey(), initial), noiseStep);
                });
                assertThat(recorded).as(name + " tensors recorded after step " + at).isEqualTo(reference);
                if (at == 1) {
                    JsonNode g = exp.get("grad_step1");
                    assertThat(fieldNames(g)).as(name + " gradients recorded").isEqualTo(reference);
                    g.fields().forEachRemaining(p -> assertSummary("grad " + p.getKey(), names.slice(p.getKey(), r.gradients()), p.getValue(),
                            noise.get(p.getKey()), null, 0));
                    if (opt instanceof AdamW a) {
                        JsonNode st = exp.get("adamw_state_after_step1");
                        assertThat(fieldNames(st)).as(name + " AdamW state recorded").isEqualTo(reference);
                        st.fields().forEachRemaining(p -> {
                            String ours = names.ours(p.getKey());
                            assertThat(a.stepCount(ours)).isEqualTo(p.getValue().get("step").asInt());
                            assertSummary("exp_avg " + p.getKey(), names.slice(p.getKey(), a.expAvg(ours).toFloatArray()),
                                    p.getValue().get("exp_avg"), noise.get(p.getKey()), null, 0);
                            assertSummary("exp_avg_sq " + p.getKey(), names.slice(p.getKey(), a.expAvgSq(ours).toFloatArray()),
                                    p.getValue().get("exp_avg_sq"), noise.get(p.getKey()), null, 0);
                        });
                    }
                }
            }
        }
    }

    /**
     * The feature variant a recipe's {@code features.kind} names, or null: one of our ids
     * ({@code cls_ws_4}), or the reference's descriptive name, read word by word —
     * {@code final} or {@code lastN} (blocks), {@code concat} / {@code ws} / {@code weighted_sum} /
     * {@code proj} (how blocks combine), {@code cls} or {@code all} / {@code tokens}, {@code dropout}.
     */
    static FeatureVariant variantOf(String kind) {
        try {
            return FeatureVariant.parse(kind);
        } catch (UserError notOurId) {
            List<String> words = Arrays.asList(kind.toLowerCase(java.util.Locale.ROOT).split("_"));
            int blocks = words.contains("final") ? 1 : 0;
            for (String w : words) {
                if (w.matches("last\\d+")) {
                    blocks = Integer.parseInt(w.substring(4));
                }
            }
            FeatureVariant.Combine combine = words.contains("ws") || kind.contains("weighted_sum") ? FeatureVariant.Combine.WEIGHTED_SUM
                    : words.contains("proj") ? FeatureVariant.Combine.PROJECT_CONCAT : FeatureVariant.Combine.CONCAT;
            boolean allTokens = !words.contains("cls") && (words.contains("all") || words.contains("tokens"));
            boolean dropout = words.contains("dropout");
            for (FeatureVariant v : FeatureVariant.values()) {
                if (!v.forConvNets() && v.blocks(Integer.MAX_VALUE) == blocks && v.combine() == combine
                        && v.allTokens() == allTokens && (v.dropout() > 0) == dropout) {
                    return v;
                }
            }
            return null;
        }
    }

    @Test
    void featureKindsReadAsOurVariants() {
        assertThat(variantOf("concat_last4_normed_cls")).isEqualTo(FeatureVariant.CLS_CONCAT_4);
        assertThat(variantOf("final_normed_cls")).isEqualTo(FeatureVariant.CLS_LAST);
        assertThat(variantOf("ws_last4_normed_cls")).isEqualTo(FeatureVariant.CLS_WS_4);
        assertThat(variantOf("weighted_sum_last4_normed_all_tokens")).isEqualTo(FeatureVariant.ALL_WS_4);
        assertThat(variantOf("final_normed_all_tokens")).isEqualTo(FeatureVariant.ALL_LAST);
        assertThat(variantOf("cls_ws_4")).isEqualTo(FeatureVariant.CLS_WS_4);
        assertThat(variantOf("mean_of_patches")).isNull();
    }

    @Test
    void perBlockScalarsMapOntoOneTensor() {
        Map<String, ReferenceNames.Slice> m = ReferenceNames.map("test",
                List.of("ws.weight_0", "ws.weight_1", "ws.weight_2", "ws.weight_3", "head.weight", "head.bias"),
                new LinkedHashMap<>(Map.of("ws.weight", 4L, "head.weight", 512L, "head.bias", 2L)));
        assertThat(m.get("ws.weight_2")).isEqualTo(new ReferenceNames.Slice("ws.weight", 2, 1));
        assertThat(m.get("head.weight")).isEqualTo(new ReferenceNames.Slice("head.weight", 0, 512));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReferenceNames.map("test", List.of("pos_embed"), Map.of("head.bias", 2L)))
                .hasMessageContaining("pos_embed has no counterpart");
    }

    /**
     * The reference's tensor names mapped onto ours. Most are the same; where the reference keeps
     * one scalar per block ({@code ws.weight_0 … ws.weight_3}) and we keep one tensor
     * ({@code ws.weight} [4]), {@code name_i} is the i-th equal slice of {@code name}.
     */
    static final class ReferenceNames {
        record Slice(String ours, int offset, int length) {}

        private static final Pattern INDEXED = Pattern.compile("(.+)_(\\d+)");
        private final Map<String, Slice> slices;
        private final Map<String, NDArray> params;

        ReferenceNames(List<String> reference, Map<String, NDArray> params) {
            this.params = params;
            Map<String, Long> sizes = new LinkedHashMap<>();
            params.forEach((k, v) -> sizes.put(k, v.size()));
            slices = map("recipe.json trainable", reference, sizes);
            Set<String> covered = new TreeSet<>();
            slices.values().forEach(s -> covered.add(s.ours()));
            assertThat(covered).as("our trained tensors vs recipe.json trainable " + reference).isEqualTo(new TreeSet<>(sizes.keySet()));
        }

        static Map<String, Slice> map(String what, java.util.Collection<String> reference, Map<String, Long> ourSizes) {
            Map<String, Integer> parts = new HashMap<>();
            for (String r : reference) {
                Matcher mt = INDEXED.matcher(r);
                if (!ourSizes.containsKey(r) && mt.matches() && ourSizes.containsKey(mt.group(1))) {
                    parts.merge(mt.group(1), 1, Integer::sum);
                }
            }
            Map<String, Slice> out = new LinkedHashMap<>();
            for (String r : reference) {
                Matcher mt = INDEXED.matcher(r);
                if (ourSizes.containsKey(r)) {
                    out.put(r, new Slice(r, 0, Math.toIntExact(ourSizes.get(r))));
                } else if (mt.matches() && ourSizes.containsKey(mt.group(1))) {
                    long size = ourSizes.get(mt.group(1));
                    int n = parts.get(mt.group(1));
                    assertThat(size % n).as(what + ": " + n + " slices of " + mt.group(1) + " [" + size + "]").isZero();
                    int len = Math.toIntExact(size / n);
                    int i = Integer.parseInt(mt.group(2));
                    assertThat(i).as(what + ": " + r + " index").isLessThan(n);
                    out.put(r, new Slice(mt.group(1), i * len, len));
                } else {
                    throw new AssertionError(what + ": tensor " + r + " has no counterpart among ours " + ourSizes.keySet());
                }
            }
            return out;
        }

        String ours(String reference) {
            Slice s = slices.get(reference);
            assertThat(s).as("reference tensor " + reference + " is not trained here").isNotNull();
            return s.ours();
        }

        float[] value(String reference) {
            return slice(reference, params.get(ours(reference)).toFloatArray());
        }

        float[] slice(String reference, Map<String, float[]> ourValues) {
            float[] v = ourValues.get(ours(reference));
            return v == null ? null : slice(reference, v);
        }

        float[] slice(String reference, float[] ourValue) {
            Slice s = slices.get(reference);
            return Arrays.copyOfRange(ourValue, s.offset(), s.offset() + s.length());
        }
    }

    /**
     * A tensor against the golden summary {shape, l2, sum, first8, last8[, full][, parts]}. The sum
     * of n values is only as exact as its summands: it is compared within 1e-4 of Σ|x|. A part
     * that expected.json lists as noise-driven (the key bias, whose gradient is rounding noise) is
     * compared as the golden README says: for values, |value − initial| ≤ 3·lr; for gradients and
     * moments, tiny next to the other parts.
     */
    static void assertSummary(String what, float[] actual, JsonNode exp, List<int[]> noise, float[] initial, double noiseStep) {
        assertThat(actual).as(what).isNotNull();
        long n = 1;
        for (JsonNode d : exp.get("shape")) {
            n *= d.asLong();
        }
        assertThat((long) actual.length).as(what + " size").isEqualTo(n);
        if (exp.has("full")) {
            assertClose(what + " full", actual, Golden.flat(exp.get("full")));
        }
        boolean noisy = noise != null && !noise.isEmpty();
        if (noisy) {
            assertThat(exp.has("parts")).as(what + ": a noise-driven slice is compared through the summary's parts").isTrue();
        }
        if (exp.has("parts")) {
            int offset = 0;
            double otherScale = 0;
            List<int[]> noisyParts = new ArrayList<>();
            for (var it = exp.get("parts").fields(); it.hasNext(); ) {
                var part = it.next();
                int size = 1;
                for (JsonNode d : part.getValue().get("shape")) {
                    size *= d.asInt();
                }
                int[] range = {offset, offset + size};
                float[] slice = Arrays.copyOfRange(actual, range[0], range[1]);
                if (noisy && noise.stream().anyMatch(r -> Arrays.equals(r, range))) {
                    noisyParts.add(range);
                } else {
                    assertSummary(what + "[" + part.getKey() + "]", slice, part.getValue(), null, null, 0);
                    otherScale = Math.max(otherScale, part.getValue().get("l2").asDouble());
                }
                offset += size;
            }
            assertThat(offset).as(what + " parts cover the tensor").isEqualTo(actual.length);
            if (noisy) {
                assertThat(noisyParts).as(what + " noise-driven ranges " + noise.stream().map(Arrays::toString).toList() + " are parts")
                        .hasSize(noise.size());
                for (int[] range : noisyParts) {
                    float[] slice = Arrays.copyOfRange(actual, range[0], range[1]);
                    if (initial != null) {
                        for (int j = 0; j < slice.length; j++) {
                            assertThat((double) Math.abs(slice[j] - initial[range[0] + j]))
                                    .as(what + Arrays.toString(range) + " moved from its initial value").isLessThanOrEqualTo(noiseStep);
                        }
                    } else {
                        assertThat(l2(slice)).as(what + Arrays.toString(range) + " is rounding noise").isLessThanOrEqualTo(1e-5 * otherScale);
                    }
                }
                // The whole tensor's norm is dominated by the other parts; its sum is not compared (noise).
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
        assertClose(what + " last8", Arrays.copyOfRange(actual, Math.max(0, actual.length - 8), actual.length),
                Golden.flat(exp.get("last8")));
    }

    /** Largest relative error of l2, first8 and last8 over the summarised trained tensors (those carrying noise excluded). */
    static double worstTensorError(JsonNode stepParams, ReferenceNames names, Map<String, List<int[]>> noise) {
        double worst = 0;
        for (var it = stepParams.fields(); it.hasNext(); ) {
            var e = it.next();
            if (noise.containsKey(e.getKey())) {
                continue;
            }
            float[] a = names.value(e.getKey());
            worst = Math.max(worst, relative(l2(a), e.getValue().get("l2").asDouble()));
            worst = Math.max(worst, Golden.relativeError(first8(a), Golden.flat(e.getValue().get("first8"))));
            worst = Math.max(worst, Golden.relativeError(Arrays.copyOfRange(a, Math.max(0, a.length - 8), a.length),
                    Golden.flat(e.getValue().get("last8"))));
        }
        return worst;
    }

    static float[] first8(float[] a) {
        return Arrays.copyOf(a, Math.min(8, a.length));
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

    static Set<String> fieldNames(JsonNode n) {
        Set<String> out = new TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @org.junit.jupiter.api.AfterAll
    static void report() {
        WORST.forEach((k, v) -> System.out.printf("worst relative error (%s): %.2e%n", k, v));
    }
}
