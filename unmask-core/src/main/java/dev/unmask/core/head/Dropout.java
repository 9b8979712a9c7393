package dev.unmask.core.head;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * Inverted dropout with masks drawn from a Java random stream, not libtorch's global generator:
 * the stream is derived from (seed, epoch, step), so a resumed run draws the same masks.
 */
final class Dropout {
    /** Each 64-bit draw gives this many 16-bit uniforms, one per element. */
    static final int ELEMENTS_PER_DRAW = 4;

    private Dropout() {}

    /**
     * Drops an element when its 16-bit uniform u is below {@code round(p·65536)}, so p is
     * honoured to within 2⁻¹⁷, and scales the kept ones by 1/(1 − p) as PyTorch does. One
     * {@code nextDouble()} per element, the obvious mask, made all_dropout_concat_4 (266,240
     * features per image of the small test ViT) spend more time on its masks than on the head's
     * matrix products; a quarter of the draws, without a branch per element, fills the mask ~10×
     * faster (measured), leaving the copy to libtorch and the product as most of the cost.
     */
    static NDArray apply(NDArray x, float p, SplittableRandom random) {
        if (random == null || p == 0f) {
            return x;
        }
        int n = Math.toIntExact(x.getShape().size());
        float[] mask = new float[n];
        float keep = 1f / (1f - p);
        int threshold = (int) Math.round(p * 65536.0);
        for (int start = 0; start < n; start += ELEMENTS_PER_DRAW) {
            long bits = random.nextLong();
            int end = Math.min(n, start + ELEMENTS_PER_DRAW);
            for (int i = start; i < end; i++, bits >>>= 16) {
                int u = (int) (bits & 0xffff);
                // (threshold − 1 − u) is negative exactly when u ≥ threshold: its sign bit is the keep bit.
                mask[i] = keep * ((threshold - 1 - u) >>> 31);
            }
        }
        return x.mul(x.getManager().create(mask, x.getShape()));
    }
}
