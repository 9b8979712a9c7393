package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One optimizer step in PyTorch's order: zero_grad → forward → mean cross-entropy → backward →
 * step. Gradients are cleared as they are read, so no step sees another's.
 */
public final class TrainStep {
    /** @param loss the loss before the update; @param gradients the step's gradients when asked for */
    public record Result(double loss, Map<String, float[]> gradients) {}

    private TrainStep() {}

    public static Result run(Trainable model, NDArray batch, int[] labels, Optimizer optimizer,
                             SplittableRandom dropout, boolean keepGradients) {
        Map<String, NDArray> params = model.trainableParameters();
        try (NDManager scope = batch.getManager().newSubManager()) {
            batch.tempAttach(scope);
            float loss;
            try (GradientCollector collector = Autograd.record()) {
                NDArray logits = model.logits(batch, dropout);
                NDArray l = CrossEntropy.mean(logits, labels);
                loss = l.getFloat();
                if (!Float.isFinite(loss)) {
                    throw new ArithmeticException("training diverged: the loss is " + loss
                            + " (lower the learning rate, or check the inputs for NaN)");
                }
                collector.backward(l);
            }
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                grads.put(e.getKey(), Autograd.takeGradient(e.getValue(), scope));
            }
            Map<String, float[]> kept = null;
            if (keepGradients) {
                kept = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : grads.entrySet()) {
                    kept.put(e.getKey(), e.getValue().toFloatArray());
                }
            }
            optimizer.step(params, grads);
            return new Result(loss, kept);
        }
    }
}
