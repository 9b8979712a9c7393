package dev.unmask.core.checkpoint;

/**
 * timm's ConvNet checkpoints: their names are the canonical ConvNet names. BatchNorm's step
 * counter ({@code num_batches_tracked}) is training state that timm ignores at inference, so do we.
 */
public final class TimmConvNetLayout implements CheckpointLayout {
    public static final TimmConvNetLayout INSTANCE = new TimmConvNetLayout();

    private TimmConvNetLayout() {}

    @Override
    public String name() {
        return "timm";
    }

    @Override
    public Target toCanonical(String source) {
        return source.endsWith(".num_batches_tracked") ? IGNORED : Target.whole(source);
    }

    @Override
    public String toSource(String canonical) {
        return canonical;
    }
}
