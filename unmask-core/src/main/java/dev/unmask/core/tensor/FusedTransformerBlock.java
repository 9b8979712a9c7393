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
 * A whole pre-norm transformer block as one call into libtorch, for passes that record no
 * autograd: layer norms, oneDNN linears (the first MLP layer with its GELU fused in), the fused
 * attention kernel and the residuals (with LayerScale as one {@code addcmul}) run inside one
 * {@link TorchScriptModule}, where the op-by-op path makes some twenty calls through DJL's JNI and
 * as many Java arrays per block. {@code -Dunmask.fusedBlock=false} turns it off; a libtorch that
 * refuses a module keeps the op-by-op path.
 */
public final class FusedTransformerBlock {

    /**
     * What the module's source depends on; one module is loaded per distinct shape.
     *
     * @param quickGelu  CLIP's x·σ(1.702x) instead of the exact (erf) GELU
     * @param layerScale whether the block scales each residual branch by a per-channel gamma
     */
    public record Shape(int numHeads, float eps1, float eps2, boolean quickGelu, boolean layerScale) {}

    /** Package-private and mutable so that tests can compare both paths in one process. */
    static volatile boolean enabled = Boolean.parseBoolean(System.getProperty("unmask.fusedBlock", "true"));
    private static final Map<Shape, Optional<PtSymbolBlock>> MODULES = new ConcurrentHashMap<>();

    private FusedTransformerBlock() {}

    /** Whether this pass may use it: the calling thread records no autograd and the module loads. */
    public static boolean usable(Shape shape) {
        return enabled && !GradMode.recording() && OneDnnLinear.usable() && ScaledDotProductAttention.available()
                && MODULES.computeIfAbsent(shape, s -> Optional.ofNullable(TorchScriptModule.load("Block", source(s)))).isPresent();
    }

    /** The shapes whose module loaded in this process. */
    static Set<Shape> loaded() {
        Set<Shape> shapes = new HashSet<>();
        MODULES.forEach((shape, module) -> module.ifPresent(x -> shapes.add(shape)));
        return shapes;
    }

    /**
     * Only after {@link #usable} said yes on this thread.
     *
     * @return the block's output in {@code x}'s manager, or null when libtorch refused to run the
     *         module (the shape is then marked unusable and the caller computes the block op by op)
     *
     * @param params norm1 weight and bias, qkv weight and bias, proj weight and bias, then gamma1 if
     *               the shape has LayerScale, norm2 weight and bias, fc1 weight and bias, fc2 weight
     *               and bias, then gamma2 if LayerScale
     */
    public static NDArray apply(Shape shape, NDArray x, List<NDArray> params) {
        PtSymbolBlock module = MODULES.get(shape).orElseThrow();
        NDList inputs = new NDList(params.size() + 1);
        // DJL reads a named array's name as a place in a dict or tuple, and parameters are named:
        // pass unnamed views. "Training" only in DJL's sense: no InferenceMode guard, whose tensors
        // autograd would refuse if this output later fed a recorded pass.
        inputs.add(x.getName() == null ? x : x.reshape(x.getShape()));
        for (NDArray p : params) {
            inputs.add(p.reshape(p.getShape()));
        }
        try {
            return IValueUtils.forward(module, inputs, true).singletonOrThrow();
        } catch (EngineException e) {
            MODULES.put(shape, Optional.empty());
            return null;
        } finally {
            for (int i = 0; i < inputs.size(); i++) {
                if (inputs.get(i) != x) {
                    inputs.get(i).close();
                }
            }
        }
    }

    static String source(Shape s) {
        String none = "\"none\", annotate(List[Optional[number]], []), \"\"";
        String gamma1 = s.layerScale() ? "    g1: Tensor,\n" : "";
        String gamma2 = s.layerScale() ? ",\n    g2: Tensor" : "";
        String residual1 = s.layerScale() ? "torch.addcmul(x, g1, a)" : "torch.add(x, a)";
        String residual2 = s.layerScale() ? "torch.addcmul(x1, g2, m)" : "torch.add(x1, m)";
        String mlp = s.quickGelu()
                ? "    f = ops.mkldnn._linear_pointwise(h2, fc1w, fc1b, " + none + ")\n"
                        + "    f = torch.mul(f, torch.sigmoid(torch.mul(f, 1.702)))\n"
                : "    f = ops.mkldnn._linear_pointwise(h2, fc1w, fc1b, \"gelu\", annotate(List[Optional[number]], []), \"none\")\n";
        return "class Block(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__.Block,\n"
                + "    x: Tensor,\n"
                + "    n1w: Tensor,\n    n1b: Tensor,\n    qkvw: Tensor,\n    qkvb: Tensor,\n    projw: Tensor,\n    projb: Tensor,\n"
                + gamma1
                + "    n2w: Tensor,\n    n2b: Tensor,\n    fc1w: Tensor,\n    fc1b: Tensor,\n    fc2w: Tensor,\n    fc2b: Tensor"
                + gamma2 + ") -> Tensor:\n"
                + "    b = torch.size(x, 0)\n"
                + "    n = torch.size(x, 1)\n"
                + "    d = torch.size(x, 2)\n"
                + "    h1 = torch.layer_norm(x, [d], n1w, n1b, " + literal(s.eps1()) + ")\n"
                + "    qkv = ops.mkldnn._linear_pointwise(h1, qkvw, qkvb, " + none + ")\n"
                + "    heads = torch.unbind(torch.permute(torch.reshape(qkv, [b, n, 3, " + s.numHeads() + ", torch.floordiv(d, "
                + s.numHeads() + ")]), [2, 0, 3, 1, 4]))\n"
                + "    o = torch.scaled_dot_product_attention(heads[0], heads[1], heads[2])\n"
                + "    a = ops.mkldnn._linear_pointwise(torch.reshape(torch.transpose(o, 1, 2), [b, n, d]), projw, projb, " + none + ")\n"
                + "    x1 = " + residual1 + "\n"
                + "    h2 = torch.layer_norm(x1, [d], n2w, n2b, " + literal(s.eps2()) + ")\n"
                + mlp
                + "    m = ops.mkldnn._linear_pointwise(f, fc2w, fc2b, " + none + ")\n"
                + "    return " + residual2 + "\n";
    }

    /** The float eps as the double DJL's layer norm passes to libtorch. */
    private static String literal(float eps) {
        return String.format(Locale.ROOT, "%.17g", (double) eps);
    }
}
