package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.checkpoint.TensorInfo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Gives a family's constructor its parameters. A family builds itself twice from the same code:
 * first against a declaring instance, which only records every tensor name and shape the
 * architecture needs (in timm's state_dict order); that list is checked against the checkpoint
 * before a single tensor is read, so a wrong checkpoint fails fast and names its first bad tensor;
 * then against a reading instance, which returns the real data.
 */
final class Weights {
    private final SafeTensors source;
    /** Canonical name → the checkpoint's name for it, when reading a checkpoint. */
    private final Map<String, String> sourceNames;
    private final NDManager manager;
    private final java.util.SplittableRandom random;
    /** Random mode only, when asked for: every drawn tensor as a checkpoint holds it (BatchNorm unfolded). */
    private final Map<String, SafeTensorsWriter.Tensor> drawn;
    private final Map<String, long[]> declared = new LinkedHashMap<>();
    /** The convolutions' tensors as the network uses them (BatchNorm folded in), by canonical name. */
    private final Map<String, NDArray> convTensors = new LinkedHashMap<>();

    private Weights(SafeTensors source, Map<String, String> sourceNames, NDManager manager) {
        this(source, sourceNames, manager, null, null);
    }

    private Weights(SafeTensors source, Map<String, String> sourceNames, NDManager manager, java.util.SplittableRandom random,
                    Map<String, SafeTensorsWriter.Tensor> drawn) {
        this.source = source;
        this.sourceNames = sourceNames;
        this.manager = manager;
        this.random = random;
        this.drawn = drawn;
    }

    /**
     * Builds a network with {@code build}, after checking that {@code checkpoint}, its names
     * converted by {@code layout}, holds exactly the tensors it needs. {@code what} describes the
     * configuration for error messages. Without a checkpoint the weights are seeded random values
     * of the real shapes (for benchmarks), and {@code drawn}, when not null, receives them as a
     * checkpoint of the architecture would hold them.
     */
    static <T> T load(SafeTensors checkpoint, CheckpointLayout layout, NDManager manager, String what, Function<Weights, T> build,
                      Map<String, SafeTensorsWriter.Tensor> drawn) {
        if (checkpoint == null) {
            return build.apply(new Weights(null, null, manager, new java.util.SplittableRandom(1), drawn));
        }
        Weights declaring = new Weights(null, null, null);
        build.apply(declaring);
        Map<String, String> sourceNames = verify(declaring.declared, checkpoint, layout, what);
        return build.apply(new Weights(checkpoint, sourceNames, manager));
    }

    /** Canonical name → checkpoint name, once every expected tensor is there with its shape and nothing else is. */
    private static Map<String, String> verify(Map<String, long[]> expected, SafeTensors checkpoint, CheckpointLayout layout, String what) {
        Map<String, String> sourceNames = new LinkedHashMap<>();
        TensorInfo unexpected = null;
        for (TensorInfo t : checkpoint.tensors().values()) {
            CheckpointLayout.Target target = layout.toCanonical(t.name());
            if (target == CheckpointLayout.IGNORED) {
                continue;
            }
            if (target == null || target.parts() != 1 || !expected.containsKey(target.canonical())) {
                unexpected = unexpected == null ? t : unexpected;
                continue;
            }
            String other = sourceNames.putIfAbsent(target.canonical(), t.name());
            if (other != null) {
                throw new UserError("checkpoint has two tensors for " + target.canonical() + ": " + other + " and " + t.name());
            }
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            String name = sourceNames.get(e.getKey());
            if (name == null) {
                throw new UserError("checkpoint is missing tensor " + layout.toSource(e.getKey()) + " (" + what + " expects shape "
                        + Arrays.toString(e.getValue()) + "); is it a checkpoint of another architecture?");
            }
            TensorInfo t = checkpoint.info(name);
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new UserError("checkpoint tensor " + name + " has shape " + t.shapeString() + " but "
                        + what + " expects " + Arrays.toString(e.getValue()));
            }
            if (!t.dtype().isFloat()) {
                throw new UserError("checkpoint tensor " + name + " has dtype " + t.dtype()
                        + ", expected a float type");
            }
        }
        // A missing tensor says more about a wrong checkpoint than a surplus one, so it is reported first.
        if (unexpected != null) {
            throw new UserError("checkpoint has unexpected tensor " + unexpected.name() + " " + unexpected.shapeString()
                    + " that " + what + " does not use");
        }
        return sourceNames;
    }

    private boolean reading() {
        return source != null || random != null;
    }

    /** Declares a tensor and, when reading, returns its values as float32. */
    float[] floats(String name, long... shape) {
        declared.put(name, shape);
        if (random != null) {
            float[] v = randomValues(name, shape);
            if (drawn != null) {
                drawn.put(name, new SafeTensorsWriter.Tensor(shape, v));
            }
            return v;
        }
        return reading() ? source.readFloats(sourceNames.get(name)) : null;
    }

    /** Fan-in scaled normals; BatchNorm statistics near identity so activations stay in range. */
    private float[] randomValues(String name, long[] shape) {
        int n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, (int) d);
        }
        double fanIn = shape.length > 1 ? (double) n / shape[0] : 1;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double g = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
            if (name.endsWith("running_var")) {
                v[i] = (float) (1 + 0.1 * Math.abs(g));
            } else if (name.endsWith("running_mean") || name.endsWith(".bias")) {
                v[i] = (float) (0.02 * g);
            } else if (shape.length == 1) {
                v[i] = (float) (1 + 0.1 * g);
            } else {
                v[i] = (float) (g / Math.sqrt(fanIn));
            }
        }
        return v;
    }

    NDArray array(float[] data, long... shape) {
        return reading() ? manager.create(data, new Shape(shape)) : null;
    }

    /** A convolution without BatchNorm (SE convs with bias, Xception's depthwise half without). */
    Conv conv(String name, int in, int out, int k, int stride, int groups, int pad, boolean bias) {
        long[] wShape = {out, in / groups, k, k};
        float[] w = floats(name + ".weight", wShape);
        float[] b = bias ? floats(name + ".bias", out) : null;
        return kept(name, new Conv(in, out, k, stride, groups, pad, array(w, wShape), bias ? array(b, out) : null));
    }

    /**
     * Records a convolution's tensors under {@code name.weight} / {@code name.bias}: for a
     * BatchNorm-folded one, the folded values (timm's conv name, BatchNorm inside the bias).
     */
    private Conv kept(String name, Conv conv) {
        if (conv.weight != null) {
            convTensors.put(name + ".weight", conv.weight);
        }
        if (conv.bias != null) {
            convTensors.put(name + ".bias", conv.bias);
        }
        return conv;
    }

    /** Every convolution's tensors read so far, in declaration order (the classifier is not a convolution). */
    Map<String, NDArray> convTensors() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(convTensors));
    }

    /**
     * A bias-free convolution followed by an eval-mode BatchNorm, folded into one convolution:
     * {@code w' = w * g / sqrt(var + eps)}, {@code b' = beta - mean * g / sqrt(var + eps)}. The
     * fold is computed in double and rounded once, so it differs from conv-then-BN in float32
     * by rounding noise only (the golden tests check it within 1e-4), and saves a full pass over
     * every activation map.
     */
    Conv convBn(String conv, String bn, int in, int out, int k, int stride, int groups, int pad, double eps) {
        long[] wShape = {out, in / groups, k, k};
        float[] w = floats(conv + ".weight", wShape);
        float[] gamma = floats(bn + ".weight", out);
        float[] beta = floats(bn + ".bias", out);
        float[] mean = floats(bn + ".running_mean", out);
        float[] var = floats(bn + ".running_var", out);
        if (!reading()) {
            return new Conv(in, out, k, stride, groups, pad, null, null);
        }
        int per = w.length / out;
        float[] fw = new float[w.length];
        float[] fb = new float[out];
        for (int o = 0; o < out; o++) {
            double scale = gamma[o] / Math.sqrt((double) var[o] + eps);
            if (!Double.isFinite(scale)) {
                throw new UserError("checkpoint tensor " + bn + ".running_var has a value (" + var[o]
                        + ") that makes BatchNorm undefined");
            }
            for (int i = o * per; i < (o + 1) * per; i++) {
                fw[i] = (float) (w[i] * scale);
            }
            fb[o] = (float) (beta[o] - mean[o] * scale);
        }
        return kept(conv, new Conv(in, out, k, stride, groups, pad, array(fw, wShape), array(fb, out)));
    }

    /** A Linear layer stored transposed ([in, out]) so logits are one {@code matMul}. */
    Linear linear(String name, int in, int out) {
        float[] w = floats(name + ".weight", out, in);
        float[] b = floats(name + ".bias", out);
        if (!reading()) {
            return new Linear(in, out, null, null);
        }
        float[] t = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = w[o * in + i];
            }
        }
        return new Linear(in, out, array(t, in, out), array(b, out));
    }

    record Linear(int in, int out, NDArray weightT, NDArray bias) {
        NDArray apply(NDArray x) {
            return x.matMul(weightT).addi(bias);
        }
    }
}
