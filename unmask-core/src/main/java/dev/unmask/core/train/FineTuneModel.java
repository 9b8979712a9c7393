package dev.unmask.core.train;

import dev.unmask.core.tensor.Autograd;

import ai.djl.ndarray.NDArray;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.model.HeadInput;
import dev.unmask.core.tensor.GradMode;
import dev.unmask.core.vit.ForwardPass;
import dev.unmask.core.vit.VisionTransformer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Approach 2: the backbone's last blocks (or their LayerNorms), final norm, optionally the
 * CLS/register tokens, and a new head are trained. The forward pass is the inference one
 * ({@link VisionTransformer#forward}), recorded by autograd.
 *
 * <p>A batch is either images [B, 3, H, W] or, with {@code fromBlock > 0}, the frozen prefix's
 * output [B, T, D] from the prefix cache, entering block {@code fromBlock}.
 */
public final class FineTuneModel implements Trainable {
    private final VisionTransformer vit;
    private final Head head;
    private final FeatureVariant variant;
    private final int fromBlock;
    /** Blocks before it hold nothing trained and no gradient passes through them. */
    private final int firstTrainedBlock;
    private final Map<String, NDArray> trainable;

    public FineTuneModel(VisionTransformer vit, Head head, List<String> backboneNames, int fromBlock) {
        this.vit = vit;
        this.head = head;
        this.variant = head.spec().variant();
        this.fromBlock = fromBlock;
        int depth = vit.config().depth();
        if (fromBlock < 0 || fromBlock >= depth) {
            throw new IllegalArgumentException("input block " + fromBlock + " outside the backbone");
        }
        if (variant.blocks(depth) > depth - fromBlock) {
            throw new IllegalArgumentException(variant + " reads " + variant.blocks(depth) + " blocks but only "
                    + (depth - fromBlock) + " run after the cached prefix");
        }
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (String name : backboneNames) {
            NDArray p = vit.parameters().get(name);
            if (p == null) {
                throw new IllegalArgumentException("backbone has no tensor " + name);
            }
            if (fromBlock > 0 && (name.equals("cls_token") || name.equals("register_tokens") || blockOf(name) >= 0 && blockOf(name) < fromBlock)) {
                throw new IllegalArgumentException(name + " acts before the cached prefix ends and cannot be trained from it");
            }
            t.put(name, p);
        }
        // Head names (head.weight, ws.weight, proj.N.*, mlp.fc1.*) never collide with canonical
        // backbone names, and a backbone's own classifier head is never trained.
        head.parameters().forEach(t::put);
        t.values().forEach(p -> Autograd.requireGradient(p, true));
        this.trainable = Collections.unmodifiableMap(t);
        int first = depth;
        for (String name : backboneNames) {
            int block = blockOf(name);
            // The final norm acts after every block; anything else outside the blocks (tokens,
            // embeddings) acts before them all, so gradients must pass through every block.
            first = Math.min(first, block >= 0 ? block : name.startsWith("norm.") ? depth : fromBlock);
        }
        this.firstTrainedBlock = Math.max(fromBlock, Math.min(first, depth - Math.max(1, variant.blocks(depth))));
    }

    private static int blockOf(String name) {
        return name.startsWith("blocks.") ? Integer.parseInt(name.substring(7, name.indexOf('.', 7))) : -1;
    }

    public Head head() {
        return head;
    }

    public VisionTransformer backbone() {
        return vit;
    }

    /** Backbone tensors under their canonical names, then the head's. */
    @Override
    public Map<String, NDArray> trainableParameters() {
        return trainable;
    }

    /**
     * Recorded when {@link TrainStep} records; validation calls it outside a recording and gets
     * the same values without a graph.
     */
    @Override
    public NDArray logits(NDArray batch, SplittableRandom dropout) {
        int depth = vit.config().depth();
        NDArray x = batch;
        if (firstTrainedBlock > fromBlock) {
            // Frozen blocks run as the prefix cache's did, unrecorded (and so with the same kernels).
            x = vit.forward(batch, ForwardPass.blocks(fromBlock, firstTrainedBlock)).tokens();
        }
        ForwardPass pass = ForwardPass.blocks(firstTrainedBlock, depth).keepNormed(variant.blocks(depth)).withGradients(GradMode.recording());
        return head.logits(HeadInput.fromNormedBlocks(vit.forward(x, pass).normed(), variant), dropout);
    }
}
