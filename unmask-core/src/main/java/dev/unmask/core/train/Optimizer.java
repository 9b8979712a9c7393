package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Updates parameters in place from their gradients, written out by hand so that the update is
 * exactly PyTorch's (see {@link AdamW} for why DJL's built-in optimizers are not used). State is
 * plain named float arrays so that a checkpoint can hold it and a resumed run continue exactly.
 */
public interface Optimizer extends AutoCloseable {

    /** One update of every parameter that has a gradient; parameters absent from {@code gradients} are skipped entirely. */
    void step(Map<String, NDArray> parameters, Map<String, NDArray> gradients);

    /** Everything the next step depends on, by name (e.g. {@code exp_avg/blocks.11.norm1.weight}). */
    Map<String, float[]> state();

    /** Restores what {@link #state()} returned, for parameters of the given shapes. */
    void restore(Map<String, float[]> state, Map<String, NDArray> parameters);

    @Override
    void close();
}
