package dev.unmask.core.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Augmentation;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;

/**
 * Everything that decides what a training run computes. Two runs with equal settings, data and
 * backbone give the same detector; a resumed run must have the same settings (epochs may grow).
 *
 * @param blocks      k for Approach 2: blocks trained at the end of the backbone
 * @param prefixCache Approach 2: cache the frozen prefix's output once per image (CLS and
 *                    register tokens then stay frozen — a deviation from the paper)
 * @param halfCache   store cached features / prefix tokens as fp16
 * @param patience    stop after this many epochs without a better validation EER (0: never)
 * @param augmentation training-image augmentations ({@link Augmentation#NONE} by default, as the
 *                    paper); when on, the caches' premise (one computation per image) no longer
 *                    holds: features or the frozen prefix are recomputed, without gradients,
 *                    for every training batch
 */
public record TrainSettings(
        Approach approach,
        FeatureVariant features,
        HeadSpec.Kind head,
        int mlpHidden,
        float mlpDropout,
        int blocks,
        boolean prefixCache,
        boolean halfCache,
        int imageSize,
        int epochs,
        int batchSize,
        double learningRate,
        double weightDecay,
        int patience,
        long seed,
        Augmentation augmentation) {

    /** Settings without augmentation. */
    public TrainSettings(Approach approach, FeatureVariant features, HeadSpec.Kind head, int mlpHidden, float mlpDropout, int blocks,
                         boolean prefixCache, boolean halfCache, int imageSize, int epochs, int batchSize, double learningRate,
                         double weightDecay, int patience, long seed) {
        this(approach, features, head, mlpHidden, mlpDropout, blocks, prefixCache, halfCache, imageSize, epochs, batchSize, learningRate,
                weightDecay, patience, seed, Augmentation.NONE);
    }

    public TrainSettings {
        if (augmentation == null) {
            augmentation = Augmentation.NONE;
        }
        if (epochs < 1 || epochs > 100_000) {
            throw new UserError("--epochs must be between 1 and 100000");
        }
        if (batchSize < 1 || batchSize > 65_536) {
            throw new UserError("--batch must be between 1 and 65536");
        }
        if (!(learningRate > 0) || learningRate > 10) {
            throw new UserError("--lr must be in (0, 10]");
        }
        if (!(weightDecay >= 0) || weightDecay > 10) {
            throw new UserError("--weight-decay must be in [0, 10]");
        }
        if (patience < 0) {
            throw new UserError("--patience must be >= 0 (0 turns early stopping off)");
        }
        if (approach == Approach.PROBE && weightDecay != 0) {
            throw new UserError("--weight-decay applies to finetune and lntune (AdamW); the probe uses plain SGD");
        }
        if (approach.tunesBackbone() && blocks < 1) {
            throw new UserError("--blocks must be >= 1 for " + approach);
        }
        if ((head == HeadSpec.Kind.MLP) != (mlpHidden > 0)) {
            throw new UserError("--mlp-hidden is for --head mlp (and required by it)");
        }
    }

    /** The paper's defaults for an approach: probe SGD lr 1e-3 batch 256, Approach 2 AdamW lr 1e-4 wd 0.04 batch 128. */
    public static TrainSettings defaults(Approach approach, FeatureVariant features, int blocks) {
        boolean probe = approach == Approach.PROBE;
        return new TrainSettings(approach, features, HeadSpec.Kind.LINEAR, 0, 0f, probe ? 0 : blocks, !probe, features.allTokens(),
                224, probe ? 100 : 20, probe ? 256 : 128, probe ? 1e-3 : 1e-4, probe ? 0 : 0.04, 10, 0);
    }

    /** Whether the CLS and register tokens are trained (Approach 2 without the prefix cache, as the paper). */
    public boolean trainsTokens() {
        return approach == Approach.FINETUNE && !prefixCache;
    }

    public ObjectNode toJson() {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("approach", approach.id());
        o.put("features", features.id());
        o.put("head", head.id());
        o.put("mlp_hidden", mlpHidden);
        o.put("mlp_dropout", mlpDropout);
        o.put("blocks", blocks);
        o.put("prefix_cache", prefixCache);
        o.put("half_cache", halfCache);
        o.put("image_size", imageSize);
        o.put("epochs", epochs);
        o.put("batch_size", batchSize);
        o.put("optimizer", approach == Approach.PROBE ? "sgd" : "adamw");
        o.put("learning_rate", learningRate);
        o.put("weight_decay", weightDecay);
        if (approach != Approach.PROBE) {
            o.put("betas", "0.9,0.999");
            o.put("eps", 1e-8);
        }
        o.put("patience", patience);
        o.put("seed", seed);
        o.put("trains_tokens", trainsTokens());
        o.put("augmentation", augmentation.spec());
        return o;
    }

    /** The settings that must agree for a checkpoint to be resumed (all but epochs and patience). */
    public ObjectNode resumeIdentity() {
        ObjectNode o = toJson();
        o.remove("epochs");
        o.remove("patience");
        return o;
    }

    public TrainSettings withEpochs(int e) {
        return new TrainSettings(approach, features, head, mlpHidden, mlpDropout, blocks, prefixCache, halfCache, imageSize, e, batchSize,
                learningRate, weightDecay, patience, seed, augmentation);
    }

    public TrainSettings withAugmentation(Augmentation a) {
        return new TrainSettings(approach, features, head, mlpHidden, mlpDropout, blocks, prefixCache, halfCache, imageSize, epochs, batchSize,
                learningRate, weightDecay, patience, seed, a);
    }
}
