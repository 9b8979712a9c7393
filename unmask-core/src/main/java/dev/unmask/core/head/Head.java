package dev.unmask.core.head;

import dev.unmask.core.model.FeatureVariant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.unmask.core.tensor.Scalar;
import dev.unmask.core.vit.layers.Linear;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A trainable head on backbone features: the paper's variants, and an MLP. Unlike the authors'
 * code, whose "logits" are the first two dimensions of the CLS vector, the classifier here is
 * really applied. Input [B, blocks, tokens, dim] → logits [B, 2].
 */
public final class Head implements AutoCloseable {
    private final HeadSpec spec;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;

    private Head(HeadSpec spec, NDManager manager, Map<String, NDArray> parameters) {
        this.spec = spec;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
    }

    /**
     * A new head as the paper initialises it: classifier weight ~ N(0, 0.01²), bias 0; weighted
     * sums start at 1/n. Hidden layers (MLP, per-block projections) use PyTorch's nn.Linear
     * default, U(±1/√fan_in), since the paper gives none for them.
     */
    public static Head initialise(HeadSpec spec, long seed, NDManager parent) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : spec.parameterShapes().entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            float[] v = new float[Math.toIntExact(HeadSpec.numel(shape))];
            if (name.equals("head.weight")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.01 * gaussian(rnd));
                }
            } else if (name.equals("ws.weight")) {
                java.util.Arrays.fill(v, 1f / v.length);
            } else if (!name.equals("head.bias")) {
                long fanIn = name.endsWith(".weight") ? shape[1] : spec.parameterShapes().get(name.replace(".bias", ".weight"))[1];
                double bound = 1 / Math.sqrt(fanIn);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
                }
            }
            values.put(name, v);
        }
        return of(spec, values, parent);
    }

    /** A head with the given values; every tensor of the spec must be present with its exact size. */
    public static Head of(HeadSpec spec, Map<String, float[]> values, NDManager parent) {
        NDManager m = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : spec.parameterShapes().entrySet()) {
                float[] v = values.get(e.getKey());
                if (v == null || v.length != HeadSpec.numel(e.getValue())) {
                    throw new IllegalArgumentException("head tensor " + e.getKey() + " missing or of the wrong size (want "
                            + java.util.Arrays.toString(e.getValue()) + ")");
                }
                params.put(e.getKey(), m.create(v, new Shape(e.getValue())));
            }
            if (values.size() != params.size()) {
                throw new IllegalArgumentException("head has tensors its spec does not know: " + values.keySet());
            }
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return new Head(spec, m, params);
    }

    public HeadSpec spec() {
        return spec;
    }

    /** Tensors by name, in the spec's order. */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /** Current values, for checkpoints and the detector file. */
    public Map<String, float[]> values() {
        Map<String, float[]> out = new LinkedHashMap<>();
        parameters.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /**
     * Logits [B, 2] in the manager of {@code features}.
     *
     * @param features [B, blocks, tokens, dim]
     * @param dropout  random source for dropout masks while training; null in evaluation
     */
    public NDArray logits(NDArray features, SplittableRandom dropout) {
        long b = features.getShape().get(0);
        Shape want = new Shape(b, spec.blocks(), spec.tokens(), spec.dim());
        if (!features.getShape().equals(want)) {
            throw new IllegalArgumentException("head expects features " + want + ", got " + features.getShape());
        }
        FeatureVariant v = spec.variant();
        NDArray f = switch (v.combine()) {
            case CONCAT -> features.reshape(b, spec.featureWidth());
            case WEIGHTED_SUM -> features.mul(scoped(parameters.get("ws.weight").reshape(1, spec.blocks(), 1, 1), features))
                    .sum(new int[] {1}).reshape(b, spec.featureWidth());
            case PROJECT_CONCAT -> projectConcat(features, b);
        };
        f = Dropout.apply(f, v.dropout(), dropout);
        if (spec.kind() == HeadSpec.Kind.MLP) {
            f = Activation.relu(new Linear(parameters.get("mlp.fc1.weight"), parameters.get("mlp.fc1.bias")).forward(f));
            f = Dropout.apply(f, spec.mlpDropout(), dropout);
        }
        if (spec.kind() == HeadSpec.Kind.LINEAR_NORM) {
            // torch's F.normalize: x / max(‖x‖₂, 1e-12).
            f = f.div(Scalar.maximum(f.norm(new int[] {1}, true), 1e-12f));
        }
        return new Linear(parameters.get("head.weight"), parameters.get("head.bias")).forward(f);
    }

    private NDArray projectConcat(NDArray features, long b) {
        NDList parts = new NDList();
        for (int i = 0; i < spec.blocks(); i++) {
            NDArray x = features.get(new NDIndex(":, {}, :, :", i));
            parts.add(Activation.relu(new Linear(parameters.get("proj." + i + ".weight"), parameters.get("proj." + i + ".bias")).forward(x)));
        }
        return NDArrays.concat(parts, -1).reshape(b, spec.featureWidth());
    }

    /**
     * An op on a parameter lands in the head's long-lived manager (DJL puts results in the manager
     * of the first input): move such a derived array into the call's scope so it is freed with it.
     */
    private static NDArray scoped(NDArray derivedFromParameter, NDArray callInput) {
        derivedFromParameter.attach(callInput.getManager());
        return derivedFromParameter;
    }

    /** Softmax probability of class 1 (fake) per row of logits [B, 2], the score every report uses. */
    public static float[] fakeProbability(NDArray logits) {
        return logits.softmax(1).get(new NDIndex(":, 1")).toFloatArray();
    }

    static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override
    public void close() {
        manager.close();
    }
}
