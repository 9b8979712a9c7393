package dev.unmask.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.tensor.Scalar;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import dev.unmask.core.vit.layers.Block;
import dev.unmask.core.vit.layers.Mlp;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Times each op of one transformer block on its real shapes, so a throughput figure can be
 * explained: which ops are compute-bound matmuls near the ceiling, which are memory-bound.
 */
final class BlockProfile {
    private BlockProfile() {}

    static ArrayNode run(VisionTransformer vit, NDManager parent, int batch, int size, PrintWriter out) {
        ViTConfig c = vit.config();
        Block blk = vit.blocks().get(0);
        long n = c.numPrefixTokens() + (long) (size / c.patchSize()) * (size / c.patchSize());
        long d = c.embedDim();
        long h = c.numHeads();
        long hd = d / h;
        Map<String, double[]> ops = new LinkedHashMap<>();
        try (NDManager m = parent.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, n, d));
            NDArray q = m.randomNormal(new Shape(batch, h, n, hd));
            NDArray k = m.randomNormal(new Shape(batch, h, hd, n));
            NDArray probs = m.randomNormal(new Shape(batch, h, n, n)).softmax(-1);
            NDArray hidden = m.randomNormal(new Shape(batch, n, c.mlpHidden()));
            NDArray qkvOut = m.randomNormal(new Shape(batch, n, 3 * d));
            double tokens = batch * (double) n;
            ops.put("layernorm x2", time(m, () -> blk.norm2().forward(blk.norm1().forward(x)), 0));
            ops.put("qkv linear", time(m, () -> blk.attn().qkv().forward(x), 2 * tokens * d * 3 * d));
            ops.put("qkv split+transpose", time(m, () -> {
                NDList parts = qkvOut.reshape(batch, n, 3, h, hd).transpose(2, 0, 3, 1, 4).split(3, 0);
                return Scalar.mul(parts.get(0).squeeze(0), 0.125f);
            }, 0));
            ops.put("q.k^T", time(m, () -> q.matMul(k), 2 * tokens * n * d));
            ops.put("softmax", time(m, () -> probs.softmax(-1), 0));
            ops.put("attn.v", time(m, () -> probs.matMul(q), 2 * tokens * n * d));
            ops.put("merge heads", time(m, () -> q.transpose(0, 2, 1, 3).reshape(batch, n, d), 0));
            ops.put("proj linear", time(m, () -> blk.attn().proj().forward(x), 2 * tokens * d * d));
            ops.put("fc1 linear", time(m, () -> blk.mlp().fc1().forward(x), 2 * tokens * d * c.mlpHidden()));
            ops.put(blk.mlp().swiglu() ? "swiglu gate" : blk.mlp().activation() == Mlp.Activation.GELU ? "gelu" : "quick gelu",
                    time(m, () -> blk.mlp().swiglu() ? hidden.mul(Activation.sigmoid(hidden)) : blk.mlp().activation().apply(hidden), 0));
            ops.put("fc2 linear", time(m, () -> blk.mlp().fc2().forward(hidden), 2 * tokens * c.mlpInner() * d));
            ops.put("residual+layerscale x2", time(m, () -> x.add(blk.ls1().forward(x)).add(blk.ls2().forward(x)), 0));
        }
        double total = ops.values().stream().mapToDouble(v -> v[0]).sum();
        ArrayNode rows = StrictJson.mapper().createArrayNode();
        if (out != null) {
            out.printf("    %-24s %9s %7s %9s%n", "op (one block, batch " + batch + ")", "ms", "share", "GFLOP/s");
        }
        for (Map.Entry<String, double[]> e : ops.entrySet()) {
            double ms = e.getValue()[0] * 1e3;
            double gflops = e.getValue()[1] > 0 ? e.getValue()[1] / e.getValue()[0] / 1e9 : 0;
            rows.addObject().put("op", e.getKey()).put("ms", ms).put("share", e.getValue()[0] / total).put("gflops", gflops);
            if (out != null) {
                out.printf("    %-24s %9.2f %6.0f%% %9s%n", e.getKey(), ms, 100 * e.getValue()[0] / total,
                        gflops > 0 ? String.format("%.1f", gflops) : "-");
            }
        }
        return rows;
    }

    /** Best-of seconds per call and the op's FLOPs. */
    private static double[] time(NDManager m, Supplier<NDArray> op, double flops) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 12; i++) {
            try (NDManager scope = m.newSubManager()) {
                long t = System.nanoTime();
                NDArray r = op.get();
                r.getFloat(r.getShape().dimension() == 0 ? new long[0] : new long[r.getShape().dimension()]);
                best = Math.min(best, (System.nanoTime() - t) / 1e9);
                r.close();
            }
        }
        return new double[] {best, flops};
    }
}
