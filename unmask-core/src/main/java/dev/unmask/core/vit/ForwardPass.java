package dev.unmask.core.vit;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one run of {@link VisionTransformer#forward} computes and keeps: the blocks it runs, the
 * blocks whose normed tokens and attention it hands back, and whether autograd records it. Every
 * user of the backbone (features, probe extraction, fine-tuning, the frozen prefix, explanations)
 * describes its pass with one of these, so the block loop exists once.
 *
 * @param from       first block run. The input is block {@code from}'s input tokens [B, T, D], or,
 *                   for a pass from block 0, images [B, C, H, W] (patch embedding first)
 * @param to         blocks {@code [from, to)} run
 * @param normedLast how many of the last blocks run hand back their output through the final norm
 * @param attention  blocks whose softmax attention [B, heads, T, T] is handed back
 * @param tap        null, or given each block's attention probabilities, returns what the block
 *                   uses in their place (see {@link dev.unmask.core.vit.layers.Attention#forward})
 * @param gradients  true: the pass runs inside an autograd recording and is recorded (a missing
 *                   recording is an error); false: recording is off for the pass
 */
public record ForwardPass(int from, int to, int normedLast, Set<Integer> attention, AttentionTap tap, boolean gradients) {

    /** Replaces a block's attention probabilities by what it returns (same shape). */
    @FunctionalInterface
    public interface AttentionTap {
        NDArray apply(int block, NDArray probs);
    }

    /**
     * What a pass hands back, in the manager of its input.
     *
     * @param tokens    the last block's output [B, T, D], not normed; when no block runs, the
     *                  embedded images, or the input tokens themselves
     * @param normed    the last {@code normedLast} blocks' outputs through the final norm, in block order
     * @param attention softmax attention of the blocks asked for, by block, in block order
     */
    public record Output(NDArray tokens, List<NDArray> normed, Map<Integer, NDArray> attention) {}

    public ForwardPass {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("blocks [" + from + ", " + to + ") do not make a pass");
        }
        if (normedLast < 0 || normedLast > to - from) {
            throw new IllegalArgumentException(normedLast + " normed outputs asked of " + (to - from) + " blocks run");
        }
        for (int b : attention) {
            if (b < from || b >= to) {
                throw new IllegalArgumentException("attention of block " + b + " asked of blocks [" + from + ", " + to + ")");
            }
        }
        attention = Collections.unmodifiableSortedSet(new TreeSet<>(attention));
    }

    /** Blocks {@code [from, to)}, handing back only the last block's raw output, not recorded. */
    public static ForwardPass blocks(int from, int to) {
        return new ForwardPass(from, to, 0, Set.of(), null, false);
    }

    public ForwardPass keepNormed(int lastBlocks) {
        return new ForwardPass(from, to, lastBlocks, attention, tap, gradients);
    }

    public ForwardPass keepAttention(int... blocks) {
        Set<Integer> s = new TreeSet<>(attention);
        for (int b : blocks) {
            s.add(b);
        }
        return new ForwardPass(from, to, normedLast, s, tap, gradients);
    }

    /** Keeps every block's attention. */
    public ForwardPass keepAllAttention() {
        Set<Integer> s = new TreeSet<>();
        for (int b = from; b < to; b++) {
            s.add(b);
        }
        return new ForwardPass(from, to, normedLast, s, tap, gradients);
    }

    public ForwardPass tapAttention(AttentionTap t) {
        return new ForwardPass(from, to, normedLast, attention, t, gradients);
    }

    public ForwardPass withGradients(boolean recorded) {
        return new ForwardPass(from, to, normedLast, attention, tap, recorded);
    }
}
