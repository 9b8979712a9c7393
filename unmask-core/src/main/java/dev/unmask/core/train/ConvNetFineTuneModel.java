package dev.unmask.core.train;

import dev.unmask.core.tensor.Autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.head.Head;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Approach 2 on a ConvNet: its last units (stages, then the head convolutions; see
 * {@link ConvNet#unitNames()}) and a new head are trained. BatchNorm was folded into the
 * convolutions at load, so the folded weights and biases are trained and BatchNorm's statistics
 * stay frozen, as in small-batch fine-tuning with BN in eval mode.
 *
 * <p>A batch is the frozen prefix's output [B, C, H, W] ({@link ConvNet#prefix}), from the
 * prefix cache or recomputed without gradients, entering unit {@code fromUnit}.
 */
public final class ConvNetFineTuneModel implements Trainable {
    private final ConvNet net;
    private final Head head;
    private final int fromUnit;
    private final Map<String, NDArray> backbone;
    private final Map<String, NDArray> trainable;

    public ConvNetFineTuneModel(ConvNet net, Head head, int fromUnit) {
        if (!head.spec().variant().forConvNets()) {
            throw new IllegalArgumentException(head.spec().variant() + " is not a ConvNet feature variant");
        }
        this.net = net;
        this.head = head;
        this.fromUnit = fromUnit;
        this.backbone = Collections.unmodifiableMap(net.unitTensors(fromUnit));
        Map<String, NDArray> t = new LinkedHashMap<>(backbone);
        // Head names (head.weight, proj.N.*, mlp.fc1.*) never collide with timm's conv names.
        head.parameters().forEach(t::put);
        t.values().forEach(p -> Autograd.requireGradient(p, true));
        this.trainable = Collections.unmodifiableMap(t);
    }

    /** The trained backbone tensors under their canonical names: what a detector file stores. */
    public Map<String, NDArray> backboneTensors() {
        return backbone;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return trainable;
    }

    @Override
    public NDArray logits(NDArray batch, SplittableRandom dropout) {
        NDArray pooled = net.pooledFrom(batch, fromUnit);
        Shape s = pooled.getShape();
        return head.logits(pooled.reshape(s.get(0), 1, 1, s.get(1)), dropout);
    }
}
