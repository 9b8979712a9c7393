package dev.unmask.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;

/** Copying values in and out of live parameters. */
public final class Tensors {
    private Tensors() {}

    /**
     * Overwrites a tensor's values in place. In place matters: blocks, views (e.g. a reshaped
     * kernel) and autograd all hold the same storage, which {@code NDArray.set(Buffer)} would
     * replace rather than fill.
     */
    public static void assign(NDArray target, float[] values) {
        if (values.length != target.getShape().size()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of shape " + target.getShape());
        }
        try (NDManager scope = target.getManager().newSubManager()) {
            target.set(new NDIndex("..."), scope.create(values, target.getShape()));
        }
    }

    public static Map<String, float[]> values(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
