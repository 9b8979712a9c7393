package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Mean cross-entropy over a batch, as {@code torch.nn.CrossEntropyLoss()}: nll_loss(log_softmax). */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** @param logits [B, C]; @param labels class indices in [0, C) */
    public static NDArray mean(NDArray logits, int[] labels) {
        long b = logits.getShape().get(0);
        int classes = (int) logits.getShape().get(1);
        if (labels.length != b) {
            throw new IllegalArgumentException(labels.length + " labels for a batch of " + b);
        }
        float[] oneHot = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " outside [0, " + classes + ")");
            }
            oneHot[i * classes + labels[i]] = 1f;
        }
        NDArray target = logits.getManager().create(oneHot, new Shape(b, classes));
        // Multiplying by an exact one-hot picks log p[y] without rounding (x·1 = x, x·0 = 0).
        return logits.logSoftmax(1).mul(target).sum(new int[] {1}).neg().mean();
    }
}
