package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.unmask.core.tensor.Scalar;
import dev.unmask.core.tensor.ScaledDotProductAttention;
import java.util.function.UnaryOperator;

/**
 * Multi-head self-attention with a packed qkv projection, computed by libtorch's fused kernel
 * ({@link ScaledDotProductAttention}), under autograd too. Probabilities asked for are computed
 * beside it; an explanation that taps them (and so must route the output through them) runs two
 * batched matmuls around a softmax instead.
 */
public record Attention(Linear qkv, Linear proj, int numHeads) {

    /** Output and, when {@code keepProbs}, the softmax probabilities [B, heads, N, N]. */
    public record Result(NDArray output, NDArray probs) {}

    public Result forward(NDArray x, boolean keepProbs) {
        return forward(x, keepProbs, null);
    }

    /**
     * @param probsTap null, or a function given the softmax probabilities that returns what the
     *                 block uses in their place (an explanation adds a zero tensor there, under
     *                 autograd, to read the gradient of an output with respect to the attention)
     */
    public Result forward(NDArray x, boolean keepProbs, UnaryOperator<NDArray> probsTap) {
        return forward(x, keepProbs, probsTap, null);
    }

    /** @param rope null, or the rotary embedding applied to the patch queries and keys (DINOv3) */
    public Result forward(NDArray x, boolean keepProbs, UnaryOperator<NDArray> probsTap, Rope rope) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long d = x.getShape().get(2);
        NDList qkv = heads(x, rope);
        NDArray q = qkv.get(0);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        if (probsTap == null && ScaledDotProductAttention.available()) {
            // The output comes from the fused kernel whether or not the probabilities are kept, so
            // that keeping them (the last block's, for overlays) changes no feature.
            NDArray fused = ScaledDotProductAttention.apply(q, k, v).transpose(0, 2, 1, 3).reshape(b, n, d);
            return new Result(proj.forward(fused), keepProbs ? probabilities(q, k) : null);
        }
        NDArray probs = probabilities(q, k);
        NDArray used = probsTap == null ? probs : probsTap.apply(probs);
        NDArray out = used.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, d);
        return new Result(proj.forward(out), keepProbs ? probs : null);
    }

    /** The softmax probabilities [B, heads, N, N] alone, for a caller whose output came another way. */
    public NDArray probabilities(NDArray x, Rope rope) {
        NDList qkv = heads(x, rope);
        return probabilities(qkv.get(0), qkv.get(1));
    }

    /** q, k, v as [B, heads, N, hd] views of the packed projection, RoPE applied to q and k. */
    private NDList heads(NDArray x, Rope rope) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long hd = x.getShape().get(2) / numHeads;
        NDArray packed = qkv.forward(x).reshape(b, n, 3, numHeads, hd).transpose(2, 0, 3, 1, 4);
        NDList parts = packed.split(3, 0);
        NDArray q = parts.get(0).squeeze(0);
        NDArray k = parts.get(1).squeeze(0);
        if (rope != null) {
            q = rope.apply(q);
            k = rope.apply(k);
        }
        return new NDList(q, k, parts.get(2).squeeze(0));
    }

    private static NDArray probabilities(NDArray q, NDArray k) {
        long hd = q.getShape().get(3);
        return Scalar.mul(q, (float) (1.0 / Math.sqrt(hd))).matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
    }
}
