package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.tensor.Scalar;
import java.util.Map;

/**
 * Plain SGD as the paper's Approach 1 runs it ({@code torch.optim.SGD(lr)}, no momentum, no
 * weight decay): {@code p ← p − lr·g}. Stateless, so resuming needs nothing from it.
 */
public final class Sgd implements Optimizer {
    /** @param learningRate the paper uses 1e-3 */
    public record Settings(double learningRate) {
        public Settings {
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
            }
        }
    }

    private final Settings settings;

    public Sgd(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public void step(Map<String, NDArray> parameters, Map<String, NDArray> gradients) {
        // PyTorch rounds the Python scalar to float32 before the kernel: use the same float.
        float minusLr = (float) -settings.learningRate();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray g = gradients.get(e.getKey());
            if (g == null) {
                continue;
            }
            try (NDArray delta = Scalar.mul(g, minusLr)) {
                e.getValue().addi(delta);
            }
        }
    }

    @Override
    public Map<String, float[]> state() {
        return Map.of();
    }

    @Override
    public void restore(Map<String, float[]> state, Map<String, NDArray> parameters) {
        if (!state.isEmpty()) {
            throw new IllegalArgumentException("SGD without momentum has no state to restore");
        }
    }

    @Override
    public void close() {}
}
