package dev.unmask.core.train;

import java.util.SplittableRandom;

/**
 * Independent random streams derived from (seed, purpose, epoch, step), so that any step's
 * randomness can be recreated without replaying the ones before it: a resumed run shuffles and
 * drops out exactly as an uninterrupted one.
 */
public final class RandomStreams {
    public static final long HEAD_INIT = 1;
    public static final long SHUFFLE = 2;
    public static final long DROPOUT = 3;
    /** Training-image augmentation, keyed by (epoch, item): one item's draws do not depend on the batch it lands in. */
    public static final long AUGMENT = 4;

    private RandomStreams() {}

    public static SplittableRandom of(long seed, long purpose, long... keys) {
        long h = mix(seed ^ 0x5DEECE66DL);
        h = mix(h + purpose * 0x9E3779B97F4A7C15L);
        for (long k : keys) {
            h = mix(h + (k + 1) * 0xC2B2AE3D27D4EB4FL);
        }
        return new SplittableRandom(h);
    }

    /** The order of {@code n} items in one epoch (Fisher–Yates). */
    public static int[] permutation(int n, long seed, int epoch) {
        SplittableRandom r = of(seed, SHUFFLE, epoch);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Stafford variant 13 of the SplitMix64 finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
