package dev.unmask.core.tensor;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    /** The block's tensors; both gammas null for a block without LayerScale. */
    public record Parameters(NDArray norm1Weight, NDArray norm1Bias, NDArray qkvWeight, NDArray qkvBias,
                             NDArray projWeight, NDArray projBias, NDArray gamma1,
                             NDArray norm2Weight, NDArray norm2Bias, NDArray fc1Weight, NDArray fc1Bias,
                             NDArray fc2Weight, NDArray fc2Bias, NDArray gamma2) {

        /** In the order of the module's arguments. */
        List<NDArray> inOrder() {
            List<NDArray> p = new ArrayList<>(List.of(norm1Weight, norm1Bias, qkvWeight, qkvBias, projWeight, projBias));
            if (gamma1 != null) {
                p.add(gamma1);
            }
            p.addAll(List.of(norm2Weight, norm2Bias, fc1Weight, fc1Bias, fc2Weight, fc2Bias));
            if (gamma2 != null) {
                p.add(gamma2);
            }
            return p;
        }

        NDArray[] linearWeights() {
            return new NDArray[] {qkvWeight, projWeight, fc1Weight, fc2Weight};
        }
    }

    /** Package-private and mutable so that tests can compare the paths in one process. */
    static volatile boolean enabled = Boolean.parseBoolean(System.getProperty("unmask.fusedBlock", "true"));
    static volatile boolean packWeights = Boolean.parseBoolean(System.getProperty("unmask.packedWeights", "true"));

    private static final Map<Shape, TorchScriptModule> MODULES = new ConcurrentHashMap<>();
    /** A weight in oneDNN's blocked layout, and the version of the weight it was made from. */
    private static final TorchScriptModule REORDER = new TorchScriptModule("Reorder", String.join("\n",
            "class Reorder(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.Reorder,",
            "    w: Tensor) -> Tuple[Tensor, Tensor]:",
            "    return (ops.mkldnn._reorder_linear_weight(w, None), torch.tensor([torch._version(w)]))",
            ""), true);

    /**
     * The reordered weights (null: use the plain one), the versions of the weights they were made
     * from (-1: none), and those versions as the tensor the module compares against.
     */
    private record Packed(NDArray[] weights, long[] versions, NDArray versionTensor) {}

    private final TorchScriptModule module;
    private final List<NDArray> inputs;
    private final NDArray[] linearWeights;
    private volatile Packed packed;
    private int reorders;

    public FusedTransformerBlock(int numHeads, float eps1, float eps2, boolean quickGelu, Parameters parameters) {
        Shape shape = new Shape(numHeads, eps1, eps2, quickGelu, parameters.gamma1() != null);
        this.module = MODULES.computeIfAbsent(shape, s -> new TorchScriptModule("Block", source(s), true));
        this.inputs = List.copyOf(parameters.inOrder());
        this.linearWeights = parameters.linearWeights();
    }

    /** Whether this pass may use it: the calling thread records no autograd and the module loads. */
    public boolean usable() {
        return enabled && !GradMode.recording() && OneDnnLinear.usable() && ScaledDotProductAttention.available() && module.available();
    }

    /**
     * Only after {@link #usable} said yes on this thread.
     *
     * @return the block's output in {@code x}'s manager, or null when libtorch refused to run the
     *         module (it is then unusable, and the caller computes the block op by op)
     */
    public NDArray apply(NDArray x) {
        Packed p = packed();
        List<NDArray> args = new ArrayList<>(inputs.size() + 6);
        args.add(x);
        args.addAll(inputs);
        for (int i = 0; i < linearWeights.length; i++) {
            args.add(p.weights()[i] != null ? p.weights()[i] : linearWeights[i]);
        }
        args.add(p.versionTensor());
        NDList out;
        try {
            out = module.forward(args.toArray(NDArray[]::new));
        } catch (EngineException e) {
            module.refuse();
            return null;
        }
        try (NDArray current = out.get(1)) {
            long[] versions = current.toLongArray();
            for (int i = 0; i < versions.length; i++) {
                // A plain weight (-1) stays plain: one that takes gradients changes every step.
                if (p.versions()[i] >= 0 && versions[i] != p.versions()[i]) {
                    repack(p);
                    break;
                }
            }
        }
        return out.get(0);
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
        boolean reorder = packWeights && REORDER.available();
        for (int i = 0; i < weights.length; i++) {
            versions[i] = -1;
            if (reorder && !linearWeights[i].hasGradient()) {
                try {
                    NDList out = REORDER.forward(linearWeights[i]);
                    weights[i] = out.get(0);
                    weights[i].attach(linearWeights[i].getManager());
                    try (NDArray version = out.get(1)) {
                        versions[i] = version.toLongArray()[0];
                    }
                    reorders++;
                } catch (EngineException e) {
                    REORDER.refuse();
                    reorder = false;
                }
            }
        }
        if (stale != null) {
            for (NDArray w : stale.weights()) {
                if (w != null) {
                    w.close();
                }
            }
            stale.versionTensor().close();
        }
        // Read by libtorch only during calls, and open until the next repack closes it.
        packed = new Packed(weights, versions, linearWeights[0].getManager().create(versions));
        return packed;
    }

    /** The shapes whose module loaded in this process. */
    static Set<Shape> loaded() {
        Set<Shape> shapes = new HashSet<>();
        MODULES.forEach((shape, m) -> {
            if (m.available()) {
                shapes.add(shape);
            }
        });
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
