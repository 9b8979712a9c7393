package dev.unmask.core.tensor;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pre-norm transformer block computed as one call into libtorch, for passes that record no
 * autograd: layer norms, oneDNN linears (the first MLP layer with its GELU fused in), the fused
 * attention kernel and the residuals (LayerScale as one {@code addcmul}) run inside one {@link
 * TorchScriptModule}, where the op-by-op block makes some twenty calls through DJL's JNI.
 *
 * <p>The four linear weights are also kept reordered into oneDNN's blocked layout, as ONNX Runtime
 * prepacks its MatMul weights: oneDNN then runs its brgemm kernels and skips the plain-layout path.
 * That costs a second copy of those weights (about the backbone's size again) and is measured in
 * docs/BENCHMARKS.md. A copy is only used while libtorch's version counter of its weight is the one
 * it was made from, checked inside the call, so an in-place update (an optimizer step) can never
 * be computed with stale weights; a changed weight is reordered again after the call, unless it
 * takes gradients (trained weights stay plain, they change every step).
 *
 * <p>{@code -Dunmask.fusedBlock=false} turns the whole thing off, {@code -Dunmask.packedWeights=false}
 * only the reordered copies; a libtorch that refuses a module keeps the op-by-op block.
 */
public final class FusedTransformerBlock {

    /**
     * What the module's source depends on; one module is loaded per distinct shape.
     *
     * @param quickGelu  CLIP's x·σ(1.702x) instead of the exact (erf) GELU
     * @param layerScale whether the block scales each residual branch by a per-channel gamma
     */
    public record Shape(int numHeads, float eps1, float eps2, boolean quickGelu, boolean layerScale) {}

    /** Package-private and mutable so that tests can compare the paths in one process. */
    static volatile boolean enabled = Boolean.parseBoolean(System.getProperty("unmask.fusedBlock", "true"));
    static volatile boolean packWeights = Boolean.parseBoolean(System.getProperty("unmask.packedWeights", "true"));

    private static final Map<Shape, Optional<PtSymbolBlock>> MODULES = new ConcurrentHashMap<>();
    /** A weight in oneDNN's blocked layout, and the version of the weight it was made from. */
    private static final String REORDER = String.join("\n",
            "class Reorder(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.Reorder,",
            "    w: Tensor) -> Tuple[Tensor, Tensor]:",
            "    return (ops.mkldnn._reorder_linear_weight(w, None), torch.tensor([torch._version(w)]))",
            "");
    private static volatile Optional<PtSymbolBlock> reorder;

    /** The reordered weights and the versions of the weights they were made from (-1: none, use the plain weight). */
    private record Packed(NDArray[] weights, long[] versions) {}

    private final Shape shape;
    private final List<NDArray> parameters;
    private final NDArray[] linearWeights;
    private volatile Packed packed;
    private int reorders;

    /**
     * @param parameters norm1 weight and bias, qkv weight and bias, proj weight and bias, then
     *                   gamma1 if the shape has LayerScale, norm2 weight and bias, fc1 weight and
     *                   bias, fc2 weight and bias, then gamma2 if LayerScale
     */
    public FusedTransformerBlock(Shape shape, List<NDArray> parameters) {
        this.shape = shape;
        this.parameters = List.copyOf(parameters);
        int g = shape.layerScale() ? 1 : 0;
        this.linearWeights = new NDArray[] {parameters.get(2), parameters.get(4), parameters.get(8 + g), parameters.get(10 + g)};
    }

    /** Whether this pass may use it: the calling thread records no autograd and the module loads. */
    public boolean usable() {
        return enabled && !GradMode.recording() && OneDnnLinear.usable() && ScaledDotProductAttention.available()
                && MODULES.computeIfAbsent(shape, s -> Optional.ofNullable(TorchScriptModule.load("Block", source(s)))).isPresent();
    }

    /**
     * Only after {@link #usable} said yes on this thread.
     *
     * @return the block's output in {@code x}'s manager, or null when libtorch refused to run the
     *         module (the shape is then marked unusable and the caller computes the block op by op)
     */
    public NDArray apply(NDArray x) {
        PtSymbolBlock module = MODULES.get(shape).orElseThrow();
        Packed p = packed();
        NDList inputs = new NDList(parameters.size() + 6);
        // DJL reads a named array's name as a place in a dict or tuple, and parameters are named:
        // pass unnamed views. "Training" only in DJL's sense: no InferenceMode guard, whose tensors
        // autograd would refuse if this output later fed a recorded pass.
        inputs.add(x.getName() == null ? x : x.reshape(x.getShape()));
        for (NDArray a : parameters) {
            inputs.add(unnamed(a));
        }
        for (int i = 0; i < linearWeights.length; i++) {
            inputs.add(unnamed(p.weights()[i] != null ? p.weights()[i] : linearWeights[i]));
        }
        inputs.add(x.getManager().create(p.versions()));
        NDList out = null;
        try {
            out = IValueUtils.forward(module, inputs, true);
            long[] versions = out.get(1).toLongArray();
            for (int i = 0; i < versions.length; i++) {
                // A plain weight (-1) stays plain: one that takes gradients changes every step.
                if (p.versions()[i] >= 0 && versions[i] != p.versions()[i]) {
                    repack(p);
                    break;
                }
            }
            return out.get(0);
        } catch (EngineException e) {
            MODULES.put(shape, Optional.empty());
            return null;
        } finally {
            if (out != null) {
                out.get(1).close();
            }
            for (int i = 0; i < inputs.size(); i++) {
                if (inputs.get(i) != x) {
                    inputs.get(i).close();
                }
            }
        }
    }

    private Packed packed() {
        Packed p = packed;
        return p != null ? p : repack(null);
    }

    /**
     * Reorders every weight that takes no gradient, if {@code stale} is still the current copy.
     * The old copies are closed: weights change only in training, where no other pass runs.
     */
    private synchronized Packed repack(Packed stale) {
        if (packed != stale) {
            return packed;
        }
        NDArray[] weights = new NDArray[linearWeights.length];
        long[] versions = new long[linearWeights.length];
        for (int i = 0; i < weights.length; i++) {
            versions[i] = -1;
            PtSymbolBlock r = reorderModule();
            if (r != null && packWeights && !linearWeights[i].hasGradient()) {
                try (NDArray w = unnamed(linearWeights[i])) {
                    NDList out = IValueUtils.forward(r, new NDList(w), true);
                    weights[i] = out.get(0);
                    weights[i].attach(linearWeights[i].getManager());
                    versions[i] = out.get(1).toLongArray()[0];
                    reorders++;
                    out.get(1).close();
                } catch (EngineException e) {
                    reorder = Optional.empty();
                }
            }
        }
        if (stale != null) {
            for (NDArray w : stale.weights()) {
                if (w != null) {
                    w.close();
                }
            }
        }
        packed = new Packed(weights, versions);
        return packed;
    }

    private static PtSymbolBlock reorderModule() {
        Optional<PtSymbolBlock> r = reorder;
        if (r == null) {
            synchronized (FusedTransformerBlock.class) {
                if (reorder == null) {
                    reorder = Optional.ofNullable(TorchScriptModule.load("Reorder", REORDER));
                }
                r = reorder;
            }
        }
        return r.orElse(null);
    }

    /** The shapes whose module loaded in this process. */
    static Set<Shape> loaded() {
        Set<Shape> shapes = new HashSet<>();
        MODULES.forEach((s, module) -> module.ifPresent(m -> shapes.add(s)));
        return shapes;
    }

    /** How many of the four linear weights are used in oneDNN's blocked layout now. */
    int packedWeights() {
        Packed p = packed;
        int n = 0;
        for (int i = 0; p != null && i < p.versions().length; i++) {
            n += p.versions()[i] >= 0 ? 1 : 0;
        }
        return n;
    }

    /** How many times this block has reordered a weight. */
    synchronized int reorders() {
        return reorders;
    }

    private static NDArray unnamed(NDArray a) {
        return a.reshape(a.getShape());
    }

    static String source(Shape s) {
        String none = "\"none\", annotate(List[Optional[number]], []), \"\"";
        String gamma1 = s.layerScale() ? "    g1: Tensor,\n" : "";
        String gamma2 = s.layerScale() ? "    g2: Tensor,\n" : "";
        String residual1 = s.layerScale() ? "torch.addcmul(x, g1, a)" : "torch.add(x, a)";
        // x1 and f are this call's own arrays: written in place, one large allocation fewer each.
        String residual2 = s.layerScale() ? "torch.addcmul_(x1, g2, m)" : "torch.add_(x1, m)";
        String mlp = s.quickGelu()
                ? "    f = ops.mkldnn._linear_pointwise(h2, w2, fc1b, " + none + ")\n"
                        + "    f = torch.mul_(f, torch.sigmoid_(torch.mul(f, 1.702)))\n"
                : "    f = ops.mkldnn._linear_pointwise(h2, w2, fc1b, \"gelu\", annotate(List[Optional[number]], []), \"none\")\n";
        return "class Block(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__.Block,\n"
                + "    x: Tensor,\n"
                + "    n1w: Tensor,\n    n1b: Tensor,\n    qkvw: Tensor,\n    qkvb: Tensor,\n    projw: Tensor,\n    projb: Tensor,\n"
                + gamma1
                + "    n2w: Tensor,\n    n2b: Tensor,\n    fc1w: Tensor,\n    fc1b: Tensor,\n    fc2w: Tensor,\n    fc2b: Tensor,\n"
                + gamma2
                + "    qkvp: Tensor,\n    projp: Tensor,\n    fc1p: Tensor,\n    fc2p: Tensor,\n"
                + "    packed: Tensor) -> Tuple[Tensor, Tensor]:\n"
                // A reordered copy only while its weight is the version it was made from.
                + "    v0 = torch._version(qkvw)\n"
                + "    v1 = torch._version(projw)\n"
                + "    v2 = torch._version(fc1w)\n"
                + "    v3 = torch._version(fc2w)\n"
                + "    w0 = qkvp if v0 == int(packed[0]) else qkvw\n"
                + "    w1 = projp if v1 == int(packed[1]) else projw\n"
                + "    w2 = fc1p if v2 == int(packed[2]) else fc1w\n"
                + "    w3 = fc2p if v3 == int(packed[3]) else fc2w\n"
                + "    b = torch.size(x, 0)\n"
                + "    n = torch.size(x, 1)\n"
                + "    d = torch.size(x, 2)\n"
                + "    h1 = torch.layer_norm(x, [d], n1w, n1b, " + literal(s.eps1()) + ")\n"
                + "    qkv = ops.mkldnn._linear_pointwise(h1, w0, qkvb, " + none + ")\n"
                + "    heads = torch.unbind(torch.permute(torch.reshape(qkv, [b, n, 3, " + s.numHeads() + ", torch.floordiv(d, "
                + s.numHeads() + ")]), [2, 0, 3, 1, 4]))\n"
                + "    o = torch.scaled_dot_product_attention(heads[0], heads[1], heads[2])\n"
                + "    a = ops.mkldnn._linear_pointwise(torch.reshape(torch.transpose(o, 1, 2), [b, n, d]), w1, projb, " + none + ")\n"
                + "    x1 = " + residual1 + "\n"
                + "    h2 = torch.layer_norm(x1, [d], n2w, n2b, " + literal(s.eps2()) + ")\n"
                + mlp
                + "    m = ops.mkldnn._linear_pointwise(f, w3, fc2b, " + none + ")\n"
                + "    return (" + residual2 + ", torch.tensor([v0, v1, v2, v3]))\n";
    }

    /** The float eps as the double DJL's layer norm passes to libtorch. */
    private static String literal(float eps) {
        return String.format(Locale.ROOT, "%.17g", (double) eps);
    }
}
