package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.unmask.core.head.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.vit.VisionTransformer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Approach 2: the backbone's last blocks (or their LayerNorms), final norm, optionally the
 * CLS/register tokens, and a new head are trained. The forward pass is the inference one
 * (same {@link VisionTransformer#runBlock} and norm), recorded by autograd: libtorch's graph
 * keeps what backward needs even though each block's scope closes its Java handles.
 *
 * <p>A batch is either images [B, 3, H, W] or, with {@code fromBlock > 0}, the frozen prefix's
 * output [B, T, D] from the prefix cache, entering block {@code fromBlock}.
 */
public final class FineTuneModel implements Trainable {
    private final VisionTransformer vit;
    private final Head head;
    private final FeatureVariant variant;
    private final int fromBlock;
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

    @Override
    public NDArray logits(NDArray batch, SplittableRandom dropout) {
        int depth = vit.config().depth();
        int n = variant.blocks(depth);
        NDArray x = fromBlock == 0 ? vit.embed(batch) : batch;
        List<NDArray> perBlock = new ArrayList<>();
        for (int i = fromBlock; i < depth; i++) {
            NDArray next = vit.runBlock(i, x, false).output();
            if (x != batch) {
                // Only the Java handle goes: autograd's graph holds its own reference when needed.
                x.close();
            }
            x = next;
            if (i >= depth - n) {
                NDArray normed = vit.norm().forward(x);
                perBlock.add(variant.allTokens() ? normed : normed.get(new NDIndex(":, 0:1, :")));
            }
        }
        NDArray features = NDArrays.stack(new NDList(perBlock), 1);
        return head.logits(features, dropout);
    }
}
