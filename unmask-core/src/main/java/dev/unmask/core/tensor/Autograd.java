package dev.unmask.core.tensor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one place that touches the PyTorch engine's autograd. Gradients are libtorch's
 * {@code .grad}: they accumulate over backward passes (DJL's collector leaves zeroing to the
 * caller, see its disabled {@code zeroGradients}), so every read here also clears them, as
 * {@code optimizer.zero_grad()} does before the next step.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * One recording at a time in the process: DJL's PyTorch collector is a single flag per JVM (a
     * second one, from any thread, fails), so explanations and training steps on different
     * threads take turns here instead of failing.
     */
    private static final ReentrantLock RECORDING = new ReentrantLock(true);

    /**
     * Records operations until closed; outside it libtorch's grad mode is off (DJL's default).
     * Waits while another thread records; closing the collector lets the next one in.
     */
    public static GradientCollector record() {
        RECORDING.lock();
        try {
            return new Exclusive(Engine.getInstance().newGradientCollector());
        } catch (RuntimeException | Error e) {
            RECORDING.unlock();
            throw e;
        }
    }

    /** The engine's collector, holding {@link #RECORDING} until closed (on the thread that opened it). */
    private static final class Exclusive implements GradientCollector {
        private final GradientCollector inner;
        private boolean closed;

        Exclusive(GradientCollector inner) {
            this.inner = inner;
        }

        @Override
        public void backward(NDArray target) {
            inner.backward(target);
        }

        @Override
        public void zeroGradients() {
            inner.zeroGradients();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                inner.close();
            } finally {
                RECORDING.unlock();
            }
        }
    }

    public static void requireGradient(NDArray parameter, boolean required) {
        parameter.setRequiresGradient(required);
    }

    /**
     * A copy of the parameter's accumulated gradient, owned by {@code into}, and the parameter's
     * gradient reset to zero. Zeros when no backward pass reached the parameter.
     */
    public static NDArray takeGradient(NDArray parameter, NDManager into) {
        if (!parameter.hasGradient()) {
            throw new IllegalStateException("parameter does not require a gradient");
        }
        // getGradient() hands out a new handle on the shared .grad tensor, in the parameter's
        // long-lived manager: copy it into the caller's scope and close the handle at once.
        try (NDArray shared = parameter.getGradient()) {
            NDArray copy = shared.duplicate();
            copy.attach(into);
            JniUtils.zeroGrad((PtNDArray) parameter);
            return copy;
        }
    }
}
