package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.SplittableRandom;

/** What a training step needs: the tensors to train and a differentiable forward pass to logits. */
public interface Trainable {

    /** Trainable tensors by name, in the order the optimizer visits them; they require gradients. */
    Map<String, NDArray> trainableParameters();

    /**
     * Logits [B, 2] of a batch, in the batch's manager.
     *
     * @param dropout random stream for dropout masks while training, null in evaluation
     */
    NDArray logits(NDArray batch, SplittableRandom dropout);
}
