package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
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
        Attention.Result a = attn.forward(norm1.forward(x), keepProbs, probsTap, rope);
        NDArray y = x.add(ls1.forward(a.output()));
        NDArray out = y.add(ls2.forward(mlp.forward(norm2.forward(y))));
        return new Attention.Result(out, a.probs());
    }
}
