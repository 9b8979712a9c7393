package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.tensor.Scalar;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code torch.optim.AdamW} (single-tensor path), the paper's Approach 2 optimizer. Per tensor
 * with a gradient, with its own step count t:
 * <pre>
 *   p ← p·(1 − lr·wd)                          decoupled decay, every tensor with a gradient
 *   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 * </pre>
 * DJL's {@code Optimizer.adamW()} is a different update and is deliberately not used: its native
 * {@code adamUpdate} computes {@code p −= lr·√(1−β2^t)/(1−β1^t) · m / (√v + eps)}, i.e. eps is
 * not bias-corrected (as if eps were eps/√(1−β2^t)), which moved the fine-tuned block of the
 * golden case {@code train_ft_last1} by up to 2e-4 after three steps. DJL's {@code adam()} with
 * weight decay is coupled L2 (decay added to the gradient), another optimizer altogether.
 * Tensors without a gradient get no state and no decay, as in PyTorch.
 */
public final class AdamW implements Optimizer {
    /** The paper's settings: lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight decay 0.04. */
    public record Settings(double learningRate, double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
            }
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("betas must lie in [0, 1)");
            }
            if (!(eps > 0) || !(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("eps must be positive and weight decay non-negative");
            }
        }

        public static Settings paper() {
            return new Settings(1e-4, 0.9, 0.999, 1e-8, 0.04);
        }
    }

    private final Settings s;
    private final NDManager manager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private final Map<String, Integer> steps = new LinkedHashMap<>();

    /** State lives in a sub-manager of {@code parent}, closed with the optimizer. */
    public AdamW(Settings settings, NDManager parent) {
        this.s = settings;
        this.manager = parent.newSubManager();
    }

    public Settings settings() {
        return s;
    }

    @Override
    public void step(Map<String, NDArray> parameters, Map<String, NDArray> gradients) {
        // Every Python scalar reaches the kernels as float32: round each one once, here.
        float decay = (float) (1 - s.learningRate() * s.weightDecay());
        float b1 = (float) s.beta1();
        float oneMinusB1 = (float) (1 - s.beta1());
        float b2 = (float) s.beta2();
        float oneMinusB2 = (float) (1 - s.beta2());
        float eps = (float) s.eps();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            String name = e.getKey();
            NDArray g = gradients.get(name);
            if (g == null) {
                continue;
            }
            NDArray p = e.getValue();
            NDArray m = expAvg.computeIfAbsent(name, k -> manager.zeros(p.getShape()));
            NDArray v = expAvgSq.computeIfAbsent(name, k -> manager.zeros(p.getShape()));
            int t = steps.merge(name, 1, Integer::sum);
            double bc1 = 1 - Math.pow(s.beta1(), t);
            double bc2 = 1 - Math.pow(s.beta2(), t);

            Scalar.muli(p, decay);
            try (NDArray gScaled = Scalar.mul(g, oneMinusB1)) {
                Scalar.muli(m, b1).addi(gScaled);
            }
            try (NDArray gSq = Scalar.mul(g, oneMinusB2).muli(g)) {
                Scalar.muli(v, b2).addi(gSq);
            }
            try (NDArray denom = Scalar.addi(Scalar.divi(v.sqrt(), (float) Math.sqrt(bc2)), eps);
                 NDArray update = Scalar.mul(m, (float) (-s.learningRate() / bc1)).divi(denom)) {
                p.addi(update);
            }
        }
    }

    /** The named moments of one parameter, or null before its first step (for tests and reports). */
    public NDArray expAvg(String name) {
        return expAvg.get(name);
    }

    public NDArray expAvgSq(String name) {
        return expAvgSq.get(name);
    }

    public int stepCount(String name) {
        return steps.getOrDefault(name, 0);
    }

    @Override
    public Map<String, float[]> state() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : steps.keySet()) {
            out.put("step/" + name, new float[] {steps.get(name)});
            out.put("exp_avg/" + name, expAvg.get(name).toFloatArray());
            out.put("exp_avg_sq/" + name, expAvgSq.get(name).toFloatArray());
        }
        return out;
    }

    @Override
    public void restore(Map<String, float[]> state, Map<String, NDArray> parameters) {
        clear();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            String name = e.getKey();
            float[] t = state.get("step/" + name);
            if (t == null) {
                continue;
            }
            Shape shape = e.getValue().getShape();
            float[] m = state.get("exp_avg/" + name);
            float[] v = state.get("exp_avg_sq/" + name);
            if (t.length != 1 || m == null || v == null || m.length != shape.size() || v.length != shape.size()) {
                throw new IllegalArgumentException("optimizer state for " + name + " does not match its shape " + shape);
            }
            steps.put(name, (int) t[0]);
            expAvg.put(name, manager.create(m, shape));
            expAvgSq.put(name, manager.create(v, shape));
        }
    }

    private void clear() {
        expAvg.values().forEach(NDArray::close);
        expAvgSq.values().forEach(NDArray::close);
        expAvg.clear();
        expAvgSq.clear();
        steps.clear();
    }

    @Override
    public void close() {
        manager.close();
    }
}
