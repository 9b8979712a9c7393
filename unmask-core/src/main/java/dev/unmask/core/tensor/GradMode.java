package dev.unmask.core.tensor;

import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's grad mode of the calling thread: whether operations are recorded for a backward
 * pass. A {@code GradientCollector} turns it on while open; a new thread's default is libtorch's,
 * not DJL's, so a pass that must not record says so rather than relying on the thread.
 */
public final class GradMode {
    private GradMode() {}

    /** Restores the mode that was in force before {@link #set}. */
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    public static boolean recording() {
        return JniUtils.isGradMode();
    }

    /** Sets the mode until the returned handle closes. */
    public static Restore set(boolean on) {
        boolean was = JniUtils.isGradMode();
        if (was == on) {
            return () -> {};
        }
        JniUtils.setGradMode(on);
        return () -> JniUtils.setGradMode(was);
    }
}
