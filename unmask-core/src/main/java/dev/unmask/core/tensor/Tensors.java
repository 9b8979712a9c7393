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

    /**
     * A copy of {@code values} in memory libtorch owns, for arrays a cache may close while a graph
     * or another thread still uses them: an array made by {@code create} is a view of a Java
     * buffer that the JVM frees once the array is closed, whoever else still refers to it.
     */
    public static NDArray libtorchOwned(NDManager manager, float[] values, ai.djl.ndarray.types.Shape shape) {
        try (NDArray javaBacked = manager.create(values, shape)) {
            return javaBacked.duplicate();
        }
    }

    public static Map<String, float[]> values(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
