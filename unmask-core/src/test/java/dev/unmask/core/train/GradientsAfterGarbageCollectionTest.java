package dev.unmask.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.unmask.core.Golden;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.tensor.Autograd;
import dev.unmask.core.tensor.Scalar;
import dev.unmask.core.vit.VisionTransformer;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A garbage collection between the forward and the backward pass changes no gradient: whatever
 * autograd keeps for the backward pass lives in memory that libtorch or a still-open manager owns.
 * DJL's {@code mul(Number)} wrapped its constant in a Java buffer that it closed at once; a
 * collection freed it, the memory was written again (here on purpose, with 1e30), and the backward
 * pass read the new bytes: the attention scale became 1e30 in the odd training step, seen as a
 * resumed run that no longer matched an uninterrupted one (see {@link Scalar}).
 */
class GradientsAfterGarbageCollectionTest {
    static final int[] LABELS = {0, 1, 1, 0};

    /** Gradients of every trainable tensor for one weighted loss; optionally with a collection before backward. */
    static Map<String, float[]> gradients(Trainable model, NDArray batch, long dropoutSeed, boolean collect) {
        List<ByteBuffer> overwritten = null;
        try (GradientCollector c = Autograd.record()) {
            NDArray loss = CrossEntropy.mean(model.logits(batch, new SplittableRandom(dropoutSeed)), LABELS);
            // As TrainStep weights a micro-batch's loss.
            NDArray weighted = Scalar.mul(loss, 0.5f);
            if (collect) {
                overwritten = collectAndOverwriteFreedMemory();
            }
            c.backward(weighted);
        }
        // The 1e30 buffers must stay allocated through backward, or their blocks are free again.
        java.lang.ref.Reference.reachabilityFence(overwritten);
        Map<String, float[]> g = new LinkedHashMap<>();
        try (NDManager s = batch.getManager().newSubManager()) {
            model.trainableParameters().forEach((k, v) -> g.put(k, Autograd.takeGradient(v, s).toFloatArray()));
        }
        return g;
    }

    /**
     * Runs collections until a dropped direct buffer is gone (so every buffer dropped before it is
     * collectable too), gives the cleaner a moment to free them, then allocates many small buffers
     * of 1e30 so that freed blocks of those sizes come back filled with it. Kept until backward.
     */
    static List<ByteBuffer> collectAndOverwriteFreedMemory() {
        WeakReference<ByteBuffer> sentinel = new WeakReference<>(ByteBuffer.allocateDirect(4));
        for (int i = 0; i < 50 && sentinel.get() != null; i++) {
            System.gc();
            sleep(5);
        }
        sleep(20);
        List<ByteBuffer> junk = new ArrayList<>();
        for (int size : new int[] {4, 8, 16, 64}) {
            for (int i = 0; i < 1500; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(1e30f);
                }
                junk.add(b);
            }
        }
        return junk;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void assertSameGradients(Trainable model, NDArray batch) {
        Map<String, float[]> quiet = gradients(model, batch, 11, false);
        for (int round = 0; round < 3; round++) {
            Map<String, float[]> collected = gradients(model, batch, 11, true);
            assertThat(collected.keySet()).isEqualTo(quiet.keySet());
            for (String name : quiet.keySet()) {
                assertThat(collected.get(name)).as(name + ", round " + round).containsExactly(quiet.get(name));
            }
        }
    }

    @Test
    void fineTuningTheLastBlockOfADinov2() {
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            Head head = Head.initialise(HeadSpec.linear(FeatureVariant.CLS_LAST, 1, 1, 64), 4, m);
            List<String> names = new BackboneTuning(BackboneTuning.FINETUNE, 1, false).parameterNames(vit.config());
            assertSameGradients(new FineTuneModel(vit, head, names, 0), m.randomNormal(new Shape(LABELS.length, 3, 56, 56)));
        }
    }

    @Test
    void fineTuningEveryBlockWithTheDropoutHeadOnAllTokens() {
        // The dropout masks are Java arrays in the features' manager, which must outlive backward.
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("dinov2_orig_tiny_reg")).loadViT(m)) {
            Head head = Head.initialise(HeadSpec.linear(FeatureVariant.ALL_DROPOUT_CONCAT_4, 4, 9, 64), 7, m);
            List<String> names = new BackboneTuning(BackboneTuning.FINETUNE, 4, false).parameterNames(vit.config());
            // 28 px: 4 patches, so 9 tokens with CLS and registers, to keep the 4x1024-wide projections small.
            assertSameGradients(new FineTuneModel(vit, head, names, 0), m.randomNormal(new Shape(LABELS.length, 3, 28, 28)));
        }
    }

    @Test
    void layerNormTuningOfAClipTowerWithAnL2NormalisedHead() {
        // QuickGELU's 1.702 and the normalised head's floor are constants in the graph too.
        try (NDManager m = NDManager.newBaseManager();
             VisionTransformer vit = ModelDirectory.open(Golden.dir("clip_hf_vision")).loadViT(m)) {
            HeadSpec linear = HeadSpec.linear(FeatureVariant.CLS_LAST, 1, 1, 64);
            HeadSpec normed = new HeadSpec(linear.variant(), HeadSpec.Kind.LINEAR_NORM, linear.blocks(), linear.tokens(), linear.dim(), 0, 0f);
            Head head = Head.initialise(normed, 5, m);
            List<String> names = new BackboneTuning(BackboneTuning.LNTUNE, 2, false).parameterNames(vit.config());
            assertSameGradients(new FineTuneModel(vit, head, names, 0), m.randomNormal(new Shape(LABELS.length, 3, 64, 64)));
        }
    }

    @Test
    void aProbeWithAnMlpHeadAndDropout() {
        try (NDManager m = NDManager.newBaseManager()) {
            Head head = Head.initialise(new HeadSpec(FeatureVariant.CLS_LAST, HeadSpec.Kind.MLP, 1, 1, 64, 32, 0.5f), 6, m);
            assertSameGradients(new ProbeModel(head), m.randomNormal(new Shape(LABELS.length, 1, 1, 64)));
        }
    }
}
