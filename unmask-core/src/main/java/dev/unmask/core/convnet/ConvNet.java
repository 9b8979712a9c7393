package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.unmask.core.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A convolutional backbone loaded from a timm checkpoint, in eval mode: a stem, a list of stages,
 * a head that ends in the last convolutional map, global average pooling and (optionally) the
 * checkpoint's own classifier. Families ({@link EfficientNet}, {@link Xception}) say what the
 * stem, stages and head are; this class runs them and owns the parts every family shares:
 * multi-level features, Grad-CAM, memory scoping, input checks and the FLOP count.
 *
 * <p>Results belong to the input's NDManager. Each stem, stage and head runs in a sub-manager
 * that is closed as soon as its output is attached back, so intermediates never pile up
 * (DESIGN.md). The weights live in their own sub-manager, freed by {@link #close()}.
 */
public abstract class ConvNet implements AutoCloseable {
    private final String architecture;
    private final NDManager params;

    ConvNet(String architecture, NDManager params) {
        this.architecture = architecture;
        this.params = params;
    }

    /** The timm architecture name, e.g. {@code efficientnet_b0}. */
    public final String architecture() {
        return architecture;
    }

    /** Channels of the last convolutional map, i.e. the size F of the pooled features. */
    public abstract int numFeatures();

    /** Classes of the checkpoint's own classifier; 0 when it has none. */
    public final int numClasses() {
        return classifier() == null ? 0 : classifier().out();
    }

    public abstract int numStages();

    /** The checkpoint prefix of each stage, e.g. {@code blocks.3} or {@code block7}. */
    public abstract List<String> stageNames();

    abstract NDArray stem(NDArray x);

    abstract NDArray stage(int index, NDArray x);

    /** From the last stage's output to the last convolutional map, activation included. */
    abstract NDArray head(NDArray x);

    abstract Weights.Linear classifier();

    /** The smallest height and width the network accepts. */
    abstract int minInputSize();

    /** The smallest height and width the network accepts, for callers checking settings before any image is read. */
    public final int minimumInputSize() {
        return minInputSize();
    }

    /** Walks stem, stages and head (not the classifier) through {@code t}. */
    abstract void trace(Trace t);

    /** The head as a unit of partial fine-tuning, e.g. {@code conv_head}. */
    abstract String headName();

    /** Checkpoint prefixes of the head's convolutions, e.g. {@code conv_head}. */
    abstract List<String> headPrefixes();

    /** Every convolution's tensors as used (BatchNorm folded in), by canonical name; see {@link Weights}. */
    abstract Map<String, NDArray> convTensors();

    /**
     * The units partial fine-tuning counts from the end: each stage ({@link #stageNames()}), then
     * the head. The stem is never trained. K trained units are units {@code numUnits() - K ..}.
     */
    public final List<String> unitNames() {
        List<String> names = new ArrayList<>(stageNames());
        names.add(headName());
        return names;
    }

    public final int numUnits() {
        return numStages() + 1;
    }

    /**
     * The tensors of units {@code fromUnit..} by canonical name: timm's conv names with
     * {@code .weight} and {@code .bias}, where a BatchNorm-folded conv's weight is
     * {@code w * gamma / sqrt(var + eps)} and its bias {@code beta - mean * gamma / sqrt(var + eps)}.
     * They are the live tensors: assigning to them changes the network.
     */
    public final Map<String, NDArray> unitTensors(int fromUnit) {
        if (fromUnit < 0 || fromUnit > numUnits()) {
            throw new IllegalArgumentException("unit " + fromUnit + " outside 0.." + numUnits());
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        convTensors().forEach((name, t) -> {
            int unit = unitOf(name);
            if (unit >= fromUnit) {
                out.put(name, t);
            }
        });
        return out;
    }

    /** The unit a tensor belongs to; -1 for the stem. */
    private int unitOf(String name) {
        List<String> stages = stageNames();
        for (int i = 0; i < stages.size(); i++) {
            if (name.startsWith(stages.get(i) + ".")) {
                return i;
            }
        }
        for (String p : headPrefixes()) {
            if (name.startsWith(p + ".")) {
                return numStages();
            }
        }
        return -1;
    }

    /**
     * The frozen prefix of partial fine-tuning: stem and stages {@code [0, upTo)} of a normalised
     * [B, 3, H, W] batch, inference numerics, in the input's manager.
     */
    public final NDArray prefix(NDArray input, int upTo) {
        checkInput(input);
        if (upTo < 0 || upTo > numStages()) {
            throw new IllegalArgumentException("prefix up to stage " + upTo + " outside 0.." + numStages());
        }
        NDManager caller = input.getManager();
        try (NDManager work = caller.newSubManager()) {
            input.tempAttach(work);
            NDArray x = scoped(input, this::stem);
            for (int i = 0; i < upTo; i++) {
                int index = i;
                NDArray y = scoped(x, v -> stage(index, v));
                x.close();
                x = y;
            }
            x.attach(caller);
            return x;
        }
    }

    /**
     * Units {@code fromUnit..} on {@code x}, the output of {@link #prefix(NDArray, int) prefix(.., fromUnit)},
     * then the global average pool: [B, F] in x's manager. Differentiable: under autograd it
     * records the trained units, and the in-place shortcuts of inference are not taken where
     * they would overwrite what backward reads.
     */
    public final NDArray pooledFrom(NDArray x, int fromUnit) {
        if (fromUnit < 0 || fromUnit >= numUnits()) {
            throw new IllegalArgumentException("unit " + fromUnit + " outside 0.." + (numUnits() - 1));
        }
        NDArray y = x;
        for (int i = fromUnit; i < numStages(); i++) {
            int index = i;
            NDArray next = scoped(y, v -> stage(index, v));
            if (y != x) {
                // Only the Java handle goes: autograd's graph holds its own reference when needed.
                y.close();
            }
            y = next;
        }
        NDArray map = scoped(y, this::head);
        if (y != x) {
            y.close();
        }
        NDArray pooled = scoped(map, m -> spatialMean(m, false));
        map.close();
        return pooled;
    }

    /**
     * Multi-level features of a [B, 3, H, W] float32 batch (already normalised with the
     * checkpoint's mean and std), with the maps of the last {@code lastStages} stages.
     */
    public final ConvNetFeatures forward(NDArray input, int lastStages) {
        checkInput(input);
        if (lastStages < 0 || lastStages > numStages()) {
            throw new UserError(architecture + " has " + numStages() + " stages; cannot return the last " + lastStages);
        }
        NDManager caller = input.getManager();
        try (NDManager work = caller.newSubManager()) {
            input.tempAttach(work);
            List<NDArray> kept = new ArrayList<>();
            NDArray map = body(input, numStages() - lastStages, kept);
            NDArray pooled = spatialMean(map, false);
            NDArray logits = classifier() == null ? null : classifier().apply(pooled);
            pooled.attach(caller);
            if (logits != null) {
                logits.attach(caller);
            }
            kept.forEach(k -> k.attach(caller));
            return new ConvNetFeatures(pooled, logits, kept);
        }
    }

    /** The last convolutional map [B, F, h, w], the one that is pooled into the features. */
    public final NDArray featureMap(NDArray input) {
        checkInput(input);
        NDManager caller = input.getManager();
        try (NDManager work = caller.newSubManager()) {
            input.tempAttach(work);
            NDArray map = body(input, numStages(), new ArrayList<>());
            map.attach(caller);
            return map;
        }
    }

    /**
     * Grad-CAM of a linear head (weight [K, F], bias [K]) on the pooled features, for class
     * {@code targetClass}: per batch item a map of the input's height and width in [0, 1].
     *
     * <p>Grad-CAM weights each channel k of the last convolutional map A by
     * {@code alpha_k = mean_ij d y_c / d A_k(i,j)}. With a linear head on a global average pool,
     * {@code y_c = sum_k W[c,k] mean_ij A_k(i,j) + b_c}, so {@code alpha_k = W[c,k] / (h w)}
     * exactly; it is computed in closed form rather than by autograd, because DJL allows one
     * gradient recording per process and a server must explain requests concurrently. (The
     * tests check it against autograd.) The map is {@code relu(sum_k alpha_k A_k)}, min-max
     * normalised (an all-zero map stays zero) and upsampled bilinearly with each cell placed on
     * the input pixel its receptive field is centred on (see {@link Trace}); a plain resize, as
     * most Grad-CAM code does, would shift the heat map by half a cell.
     */
    public final float[][][] gradCam(NDArray input, NDArray headWeight, NDArray headBias, int targetClass) {
        checkInput(input);
        float[] row = headRow(headWeight, headBias, targetClass);
        Shape in = input.getShape();
        int batch = (int) in.get(0);
        int height = (int) in.get(2);
        int width = (int) in.get(3);
        NDManager caller = input.getManager();
        try (NDManager work = caller.newSubManager()) {
            input.tempAttach(work);
            NDArray map = body(input, numStages(), new ArrayList<>());
            int h = (int) map.getShape().get(2);
            int w = (int) map.getShape().get(3);
            for (int k = 0; k < row.length; k++) {
                row[k] /= h * w;
            }
            NDArray alpha = work.create(row, new Shape(1, row.length, 1, 1));
            float[] cams = Activation.relu(map.mul(alpha).sum(new int[] {1})).toFloatArray();
            Trace grid = new Trace(height, width);
            trace(grid);
            float[][][] out = new float[batch][][];
            for (int b = 0; b < batch; b++) {
                out[b] = normalise(upsample(cams, b * h * w, h, w, grid, height, width));
            }
            return out;
        }
    }

    /** FLOPs (2 x multiply-adds of convolutions and the classifier) of one h x w image. */
    public final long flopsPerImage(int h, int w) {
        if (h < minInputSize() || w < minInputSize()) {
            throw new UserError(architecture + " needs inputs of at least " + minInputSize() + "x" + minInputSize()
                    + ", not " + h + "x" + w);
        }
        Trace t = new Trace(h, w);
        trace(t);
        long macs = t.macs;
        if (classifier() != null) {
            macs += (long) classifier().in() * classifier().out();
        }
        return 2 * macs;
    }

    @Override
    public void close() {
        if (params != null) {
            params.close();
        }
    }

    /** Stem, stages and head; the outputs of stages {@code keepFrom..} are added to {@code kept}. */
    private NDArray body(NDArray input, int keepFrom, List<NDArray> kept) {
        NDArray x = scoped(input, this::stem);
        for (int i = 0; i < numStages(); i++) {
            int index = i;
            NDArray y = scoped(x, v -> stage(index, v));
            if (i == 0 || i - 1 < keepFrom) {
                x.close();
            }
            if (i >= keepFrom) {
                kept.add(y);
            }
            x = y;
        }
        NDArray map = scoped(x, this::head);
        if (numStages() - 1 < keepFrom) {
            x.close();
        }
        return map;
    }

    /** Wall time of one part of the network on a batch, and the shape it produced. */
    public record PartTiming(String part, double seconds, Shape output) {}

    /**
     * Times the stem, every stage and the head separately (best of {@code repeats}), each on the
     * real input of its part, so a throughput figure can be traced to where the time goes.
     */
    public final List<PartTiming> profile(NDArray input, int repeats) {
        checkInput(input);
        List<PartTiming> out = new ArrayList<>();
        try (NDManager work = input.getManager().newSubManager()) {
            input.tempAttach(work);
            NDArray x = timePart("stem", input, this::stem, repeats, out);
            for (int i = 0; i < numStages(); i++) {
                int index = i;
                x = timePart(stageNames().get(i), x, v -> stage(index, v), repeats, out);
            }
            timePart("head", x, this::head, repeats, out);
        }
        return out;
    }

    private static NDArray timePart(String name, NDArray x, UnaryOperator<NDArray> f, int repeats, List<PartTiming> out) {
        double best = Double.MAX_VALUE;
        NDArray result = null;
        for (int r = 0; r < Math.max(1, repeats); r++) {
            if (result != null) {
                result.close();
            }
            long t = System.nanoTime();
            result = scoped(x, f);
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
        }
        out.add(new PartTiming(name, best, result.getShape()));
        return result;
    }

    /** Runs {@code f} with every intermediate in a sub-manager; only the result survives. */
    static NDArray scoped(NDArray x, UnaryOperator<NDArray> f) {
        NDManager parent = x.getManager();
        try (NDManager sub = parent.newSubManager()) {
            x.tempAttach(sub);
            NDArray out = f.apply(x);
            out.attach(parent);
            return out;
        }
    }

    /**
     * Runs {@code steps} one after another, each scoped, closing every intermediate output as
     * soon as the next step has consumed it (the input itself is left alone).
     */
    static NDArray chain(NDArray x, List<? extends UnaryOperator<NDArray>> steps) {
        NDArray current = x;
        for (UnaryOperator<NDArray> step : steps) {
            NDArray next = scoped(current, step);
            if (current != x) {
                current.close();
            }
            current = next;
        }
        return current;
    }

    /**
     * Mean over height and width of [B, C, H, W]: [B, C], or [B, C, 1, 1] with {@code keepDims}.
     * (DJL's PyTorch engine reduces one axis at a time, so the two are flattened into one.)
     */
    static NDArray spatialMean(NDArray x, boolean keepDims) {
        Shape s = x.getShape();
        NDArray m = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).mean(new int[] {2});
        return keepDims ? m.reshape(s.get(0), s.get(1), 1, 1) : m;
    }

    /** SiLU (x * sigmoid(x)), overwriting {@code x}: call it only on a fresh conv output. */
    static NDArray siluInPlace(NDArray x) {
        return mulInPlace(x, Activation.sigmoid(x));
    }

    /**
     * {@code x * y}, overwriting {@code x} unless autograd records x: backward of a product reads
     * both factors, so while fine-tuning the product is a new array.
     */
    static NDArray mulInPlace(NDArray x, NDArray y) {
        return x.hasGradient() ? x.mul(y) : x.muli(y);
    }

    private void checkInput(NDArray input) {
        Shape s = input.getShape();
        if (s.dimension() != 4 || s.get(1) != 3 || s.get(0) < 1) {
            throw new UserError(architecture + " takes a [B, 3, H, W] batch, not " + s);
        }
        if (input.getDataType() != DataType.FLOAT32) {
            throw new UserError(architecture + " takes float32 input, not " + input.getDataType());
        }
        if (s.get(2) < minInputSize() || s.get(3) < minInputSize()) {
            throw new UserError(architecture + " needs inputs of at least " + minInputSize() + "x" + minInputSize()
                    + ", not " + s.get(2) + "x" + s.get(3));
        }
    }

    private float[] headRow(NDArray weight, NDArray bias, int targetClass) {
        Shape ws = weight.getShape();
        if (ws.dimension() != 2 || ws.get(1) != numFeatures()) {
            throw new UserError("Grad-CAM head weight must be [K, " + numFeatures() + "] for " + architecture
                    + ", not " + ws);
        }
        if (bias.getShape().dimension() != 1 || bias.getShape().get(0) != ws.get(0)) {
            throw new UserError("Grad-CAM head bias must be [" + ws.get(0) + "], not " + bias.getShape());
        }
        if (targetClass < 0 || targetClass >= ws.get(0)) {
            throw new UserError("Grad-CAM class " + targetClass + " is not one of the head's " + ws.get(0) + " classes");
        }
        if (weight.getDataType() != DataType.FLOAT32) {
            throw new UserError("Grad-CAM head weight must be float32, not " + weight.getDataType());
        }
        // Copied out, so nothing here touches the caller's arrays or their gradients.
        float[] all = weight.toFloatArray();
        int f = numFeatures();
        float[] row = new float[f];
        System.arraycopy(all, targetClass * f, row, 0, f);
        return row;
    }

    /** Bilinear interpolation between cell centres; beyond the outermost centres, the edge value. */
    static float[][] upsample(float[] src, int offset, int h, int w, Trace grid, int outH, int outW) {
        float[][] out = new float[outH][outW];
        for (int y = 0; y < outH; y++) {
            double sy = clamp((y - grid.offset[0]) / grid.stride[0], h - 1);
            int y0 = (int) sy;
            int y1 = Math.min(y0 + 1, h - 1);
            double fy = sy - y0;
            for (int x = 0; x < outW; x++) {
                double sx = clamp((x - grid.offset[1]) / grid.stride[1], w - 1);
                int x0 = (int) sx;
                int x1 = Math.min(x0 + 1, w - 1);
                double fx = sx - x0;
                double top = src[offset + y0 * w + x0] * (1 - fx) + src[offset + y0 * w + x1] * fx;
                double bottom = src[offset + y1 * w + x0] * (1 - fx) + src[offset + y1 * w + x1] * fx;
                out[y][x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    private static double clamp(double v, int max) {
        return Math.min(Math.max(v, 0.0), max);
    }

    static float[][] normalise(float[][] map) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float[] row : map) {
            for (float v : row) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        float range = max - min;
        for (float[] row : map) {
            for (int i = 0; i < row.length; i++) {
                row[i] = range > 0 ? (row[i] - min) / range : 0f;
            }
        }
        return map;
    }
}
