package dev.unmask.core.train;

import dev.unmask.core.tensor.Autograd;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.head.Head;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Approach 1: a head on features of a frozen backbone. Batches are the head's input
 * [B, blocks, tokens, dim], read from the feature cache, so the backbone never runs here.
 */
public final class ProbeModel implements Trainable {
    private final Head head;

    public ProbeModel(Head head) {
        this.head = head;
        head.parameters().values().forEach(p -> Autograd.requireGradient(p, true));
    }

    public Head head() {
        return head;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return head.parameters();
    }

    @Override
    public NDArray logits(NDArray features, SplittableRandom dropout) {
        return head.logits(features, dropout);
    }
}
