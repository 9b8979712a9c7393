package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.tensor.FusedTransformerBlock;
import dev.unmask.core.tensor.GradMode;
import java.util.function.UnaryOperator;

/**
 * Pre-norm transformer block: x + ls1(attn(norm1 x)), then x + ls2(mlp(norm2 x)). A pass that
 * records no autograd runs it as one call into libtorch ({@link FusedTransformerBlock}) where its
 * shape allows; recorded passes, explanations that tap the attention, and RoPE go op by op.
 */
public record Block(LayerNorm norm1, Attention attn, LayerScale ls1, LayerNorm norm2, Mlp mlp, LayerScale ls2, FusedTransformerBlock fused) {

    /** The block, and its one-call form when its shape has one. */
    public Block(LayerNorm norm1, Attention attn, LayerScale ls1, LayerNorm norm2, Mlp mlp, LayerScale ls2) {
        this(norm1, attn, ls1, norm2, mlp, ls2, fusedForm(norm1, attn, ls1, norm2, mlp, ls2));
    }

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
        if (inPlace && probsTap == null && rope == null && fused != null && fused.usable()) {
            // Probabilities asked for are computed beside the block, so keeping them changes no output.
            NDArray out = fused.apply(x);
            if (out != null) {
                return new Attention.Result(out, keepProbs ? attn.probabilities(norm1.forward(x), null) : null);
            }
        }
        Attention.Result a = attn.forward(norm1.forward(x), keepProbs, probsTap, rope);
        NDArray y = residual(x, ls1, a.output(), inPlace);
        NDArray out = residual(y, ls2, mlp.forward(norm2.forward(y), inPlace), inPlace);
        return new Attention.Result(out, a.probs());
    }

    /** The one-call form, or null when this block is not of the shape it computes. */
    private static FusedTransformerBlock fusedForm(LayerNorm norm1, Attention attn, LayerScale ls1, LayerNorm norm2, Mlp mlp, LayerScale ls2) {
        boolean biases = norm1.bias() != null && norm2.bias() != null && attn.qkv().bias() != null && attn.proj().bias() != null
                && mlp.fc1().bias() != null && mlp.fc2().bias() != null;
        if (!biases || mlp.swiglu() || (ls1.gamma() == null) != (ls2.gamma() == null)) {
            return null;
        }
        return new FusedTransformerBlock(attn.numHeads(), norm1.eps(), norm2.eps(), mlp.activation() == Mlp.Activation.QUICK_GELU,
                new FusedTransformerBlock.Parameters(norm1.weight(), norm1.bias(), attn.qkv().weight(), attn.qkv().bias(),
                        attn.proj().weight(), attn.proj().bias(), ls1.gamma(), norm2.weight(), norm2.bias(),
                        mlp.fc1().weight(), mlp.fc1().bias(), mlp.fc2().weight(), mlp.fc2().bias(), ls2.gamma()));
    }

    /** {@code x + ls(branch)}, computed in {@code branch}'s storage when {@code inPlace}. */
    private static NDArray residual(NDArray x, LayerScale ls, NDArray branch, boolean inPlace) {
        return inPlace ? ls.applyInPlace(branch).addi(x) : x.add(ls.forward(branch));
    }
}
