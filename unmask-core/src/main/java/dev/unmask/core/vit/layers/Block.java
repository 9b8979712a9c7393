package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.tensor.GradMode;
import java.util.function.UnaryOperator;

/** Pre-norm transformer block: x + ls1(attn(norm1 x)), then x + ls2(mlp(norm2 x)). */
public record Block(LayerNorm norm1, Attention attn, LayerScale ls1, LayerNorm norm2, Mlp mlp, LayerScale ls2) {

    public Attention.Result forward(NDArray x, boolean keepProbs) {
        return forward(x, keepProbs, null);
    }

    /** @param probsTap see {@link Attention#forward(NDArray, boolean, UnaryOperator)} */
    public Attention.Result forward(NDArray x, boolean keepProbs, UnaryOperator<NDArray> probsTap) {
        return forward(x, keepProbs, probsTap, null);
    }

    /** @param rope see {@link Attention#forward(NDArray, boolean, UnaryOperator, Rope)} */
    public Attention.Result forward(NDArray x, boolean keepProbs, UnaryOperator<NDArray> probsTap, Rope rope) {
        // Without autograd each residual branch is a fresh array nobody else holds: it is scaled and
        // the stream added into it in place, two arrays fewer per block (the same sums, bit for bit).
        boolean inPlace = !GradMode.recording();
        Attention.Result a = attn.forward(norm1.forward(x), keepProbs, probsTap, rope);
        NDArray y = residual(x, ls1, a.output(), inPlace);
        NDArray out = residual(y, ls2, mlp.forward(norm2.forward(y), inPlace), inPlace);
        return new Attention.Result(out, a.probs());
    }

    /** {@code x + ls(branch)}, computed in {@code branch}'s storage when {@code inPlace}. */
    private static NDArray residual(NDArray x, LayerScale ls, NDArray branch, boolean inPlace) {
        return inPlace ? ls.applyInPlace(branch).addi(x) : x.add(ls.forward(branch));
    }
}
