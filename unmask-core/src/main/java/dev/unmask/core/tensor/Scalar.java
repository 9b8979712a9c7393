package dev.unmask.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.BinaryOperator;

/**
 * Arithmetic between a tensor and a constant, with the constant in memory libtorch owns. Use these
 * instead of DJL's {@code NDArray.mul(Number)} and its kin; {@code LayeringTest} refuses those.
 *
 * <p>Why: DJL wraps the number in a 0-d tensor over a Java direct buffer and closes it as soon as
 * the op returns. Under autograd libtorch keeps that tensor for the backward pass (the gradient
 * of x·c is g·c), but its memory now belongs to no one: the JVM frees the buffer whenever it
 * next collects, and a later backward pass reads whatever was written there since. That made
 * the attention scale (and QuickGELU's 1.702, the micro-batch weights, the L2 head's floor)
 * garbage in the odd training step: Adam moments of 1e15, one run in thirty under load, and a
 * resumed run that no longer matched an uninterrupted one. {@code full} allocates in libtorch,
 * which keeps the constant alive for as long as the graph refers to it.
 *
 * <p>The constant is a float32 0-d tensor, as DJL's wrapping made it, so results are unchanged
 * to the bit (a 0-d operand does not change the result's type).
 */
public final class Scalar {
    private Scalar() {}

    /** x·c, a new array. */
    public static NDArray mul(NDArray x, float c) {
        return withConstant(x, c, NDArray::mul);
    }

    /** x ← x·c. */
    public static NDArray muli(NDArray x, float c) {
        return withConstant(x, c, NDArray::muli);
    }

    /** x ← x / c. */
    public static NDArray divi(NDArray x, float c) {
        return withConstant(x, c, NDArray::divi);
    }

    /** x ← x + c. */
    public static NDArray addi(NDArray x, float c) {
        return withConstant(x, c, NDArray::addi);
    }

    /** max(x, c) elementwise, a new array. */
    public static NDArray maximum(NDArray x, float c) {
        return withConstant(x, c, NDArray::maximum);
    }

    private static NDArray withConstant(NDArray x, float c, BinaryOperator<NDArray> op) {
        // Closing our handle is safe: a graph that saved the constant holds libtorch's own reference.
        try (NDArray k = x.getManager().full(new Shape(), c, DataType.FLOAT32)) {
            return op.apply(x, k);
        }
    }
}
