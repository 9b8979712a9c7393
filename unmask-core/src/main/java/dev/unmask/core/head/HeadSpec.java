package dev.unmask.core.head;

import dev.unmask.core.model.FeatureVariant;

import dev.unmask.core.UserError;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a head: which features it reads and how it maps them to two logits
 * (class 0 real, class 1 fake). Its input per image is [blocks, tokens, dim]: tokens is 1 for
 * the CLS variants, 1 + registers + patches for the {@code all_*} ones.
 *
 * @param mlpHidden  hidden width of the MLP head (0 for a linear head)
 * @param mlpDropout dropout after the MLP's hidden layer (0 for none)
 */
public record HeadSpec(FeatureVariant variant, Kind kind, int blocks, int tokens, int dim, int mlpHidden, float mlpDropout) {
    public static final int CLASSES = 2;
    /** A head larger than this is a mistake (e.g. all_* on a huge input), not a model. */
    static final long MAX_PARAMETERS = 1L << 28;

    /**
     * Linear: features → 2. MLP: features → Linear(hidden) → ReLU → dropout → Linear(2).
     * LinearNorm (GenD's head): features scaled to unit L2 length → Linear(2); only imported GenD
     * detectors have it, so {@link #parse} (training's and detector files' names) does not offer it.
     */
    public enum Kind {
        LINEAR, MLP, LINEAR_NORM;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Kind parse(String id) {
            for (Kind k : values()) {
                if (k != LINEAR_NORM && k.id().equals(id)) {
                    return k;
                }
            }
            throw new UserError("unknown head \"" + id + "\"; choose linear or mlp");
        }
    }

    public HeadSpec {
        if (blocks < 1 || tokens < 1 || dim < 1 || blocks > 64 || tokens > 1 << 20 || dim > 1 << 16) {
            throw new IllegalArgumentException("head input [" + blocks + ", " + tokens + ", " + dim + "] out of range");
        }
        if (!variant.allTokens() && tokens != 1) {
            throw new IllegalArgumentException(variant + " reads the CLS token only, not " + tokens + " tokens");
        }
        if ((kind == Kind.MLP) != (mlpHidden > 0) || mlpHidden > 1 << 16) {
            throw new IllegalArgumentException("an MLP head needs a hidden width in [1, 65536], a linear head none");
        }
        if (!(mlpDropout >= 0 && mlpDropout < 1)) {
            throw new IllegalArgumentException("dropout must lie in [0, 1)");
        }
        long params = parameterShapes(variant, kind, blocks, tokens, dim, mlpHidden).values().stream()
                .mapToLong(HeadSpec::numel).sum();
        if (params > MAX_PARAMETERS) {
            throw new UserError("a " + variant + " " + kind.id() + " head on [" + blocks + " blocks, " + tokens + " tokens, " + dim
                    + "] would have " + params + " parameters; use a CLS variant or a smaller input");
        }
    }

    /** The paper's linear head on {@code variant} for a backbone of width {@code dim}. */
    public static HeadSpec linear(FeatureVariant variant, int blocks, int tokens, int dim) {
        return new HeadSpec(variant, Kind.LINEAR, blocks, variant.allTokens() ? tokens : 1, dim, 0, 0f);
    }

    /** Values per image the head reads: blocks × tokens × dim. */
    public long inputSize() {
        return (long) blocks * tokens * dim;
    }

    /** Width of the combined feature vector the classifier (or MLP) sees. */
    public long featureWidth() {
        return featureWidth(variant, blocks, tokens, dim);
    }

    private static long featureWidth(FeatureVariant variant, int blocks, int tokens, int dim) {
        return switch (variant.combine()) {
            case CONCAT -> (long) blocks * tokens * dim;
            case WEIGHTED_SUM -> (long) tokens * dim;
            case PROJECT_CONCAT -> (long) tokens * blocks * FeatureVariant.PROJECTION_WIDTH;
        };
    }

    /** Tensor names and shapes, in the order the optimizer visits them. */
    public Map<String, long[]> parameterShapes() {
        return parameterShapes(variant, kind, blocks, tokens, dim, mlpHidden);
    }

    private static Map<String, long[]> parameterShapes(FeatureVariant variant, Kind kind, int blocks, int tokens, int dim, int hidden) {
        Map<String, long[]> p = new LinkedHashMap<>();
        if (variant.combine() == FeatureVariant.Combine.WEIGHTED_SUM) {
            p.put("ws.weight", new long[] {blocks});
        }
        if (variant.combine() == FeatureVariant.Combine.PROJECT_CONCAT) {
            for (int i = 0; i < blocks; i++) {
                p.put("proj." + i + ".weight", new long[] {FeatureVariant.PROJECTION_WIDTH, dim});
                p.put("proj." + i + ".bias", new long[] {FeatureVariant.PROJECTION_WIDTH});
            }
        }
        long f = featureWidth(variant, blocks, tokens, dim);
        if (kind == Kind.MLP) {
            p.put("mlp.fc1.weight", new long[] {hidden, f});
            p.put("mlp.fc1.bias", new long[] {hidden});
            f = hidden;
        }
        p.put("head.weight", new long[] {CLASSES, f});
        p.put("head.bias", new long[] {CLASSES});
        return p;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
