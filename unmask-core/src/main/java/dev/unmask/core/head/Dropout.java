package dev.unmask.core.head;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Inverted dropout with masks drawn from a Java random stream, not libtorch's global generator:
 * the stream is derived from (seed, epoch, step), so a resumed run draws the same masks.
 */
final class Dropout {
    private Dropout() {}

    static NDArray apply(NDArray x, float p, SplittableRandom random) {
        if (random == null || p == 0f) {
            return x;
        }
        long n = x.getShape().size();
        float[] mask = new float[Math.toIntExact(n)];
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.length; i++) {
            mask[i] = random.nextDouble() < p ? 0f : keep;
        }
        return x.mul(x.getManager().create(mask, x.getShape()));
    }
}
