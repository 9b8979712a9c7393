package dev.unmask.core.train;

/**
 * Where a run's frozen part gets its output from: the whole backbone for the probe, the blocks
 * before the last k for Approach 2 with the prefix cache. Both train the same tensors with the
 * same steps on the same values (up to an fp16 cache's rounding); only the cost differs, which
 * {@code unmask bench --train} measures.
 */
public enum FrozenPart {
    /** Computed once per image into the on-disk cache and read by every epoch, as {@code train} does. */
    CACHED,
    /** Computed again for every batch of every epoch, outside autograd, with no cache. */
    RECOMPUTED
}
