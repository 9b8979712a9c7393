package dev.unmask.core.train;

import dev.unmask.core.tensor.Autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.unmask.core.UserError;
import dev.unmask.core.tensor.Scalar;
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
        return run(model, batch, labels, optimizer, dropout, keepGradients, 0);
    }

    /**
     * @param microBatch when in (0, B), the batch runs forward/backward in slices of this many
     *                   items whose losses are weighted by slice/B: libtorch sums their gradients
     *                   into the full batch's (gradient accumulation, for memory)
     */
    public static Result run(Trainable model, NDArray batch, int[] labels, Optimizer optimizer,
                             SplittableRandom dropout, boolean keepGradients, int microBatch) {
        Map<String, NDArray> params = model.trainableParameters();
        int b = labels.length;
        int slice = microBatch <= 0 ? b : Math.min(microBatch, b);
        try (NDManager scope = batch.getManager().newSubManager()) {
            batch.tempAttach(scope);
            double loss = 0;
            for (int start = 0; start < b; start += slice) {
                int end = Math.min(b, start + slice);
                NDArray part = slice == b ? batch : batch.get(new NDIndex("{}:{}", start, end));
                int[] partLabels = slice == b ? labels : java.util.Arrays.copyOfRange(labels, start, end);
                try (GradientCollector collector = Autograd.record()) {
                    NDArray l = CrossEntropy.mean(model.logits(part, dropout), partLabels);
                    if (slice != b) {
                        l = Scalar.mul(l, (float) (end - start) / b);
                    }
                    float value = l.getFloat();
                    if (!Float.isFinite(value)) {
                        throw new UserError("training diverged: the loss is " + value
                                + " (lower the learning rate, or check the inputs)");
                    }
                    loss += value;
                    collector.backward(l);
                }
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
