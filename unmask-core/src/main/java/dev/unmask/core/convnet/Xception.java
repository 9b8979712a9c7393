package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Xception (Chollet 2017) as timm 0.9.12's {@code legacy_xception} builds it
 * ({@code timm/models/xception.py}, the Cadene port of the Keras weights), in eval mode.
 *
 * <pre>
 * entry:  conv1 3x3 s2 valid -> BN -> ReLU -> conv2 3x3 valid -> BN -> ReLU
 *         block1 (64->128), block2 (128->256), block3 (256->728), each stride 2
 * middle: block4 .. block11 (728->728, three separable convs, identity skip)
 * exit:   block12 (728->1024, stride 2, widens in its last conv)
 *         conv3 sep 1024->1536 -> BN -> ReLU -> conv4 sep 1536->2048 -> BN -> ReLU -> avg pool -> fc
 * </pre>
 *
 * The traps, each of which changes the features by far more than the tolerance:
 * <ul>
 *   <li>A block's first ReLU is not in place, so the skip branch sees the raw block input;
 *       block1 has no leading ReLU at all.</li>
 *   <li>There is no ReLU after a block's residual add, nor between block12 and conv3; stage
 *       outputs are therefore pre-activation.</li>
 *   <li>The max pool pads 1 symmetrically (padded cells never win), unlike Keras' SAME.</li>
 *   <li>The stem convs are unpadded; BatchNorm eps is 1e-5 everywhere.</li>
 * </ul>
 * Each of the twelve blocks is a stage (timm has no coarser grouping; the middle flow's eight
 * share one resolution). The head is conv3 .. act4; as a unit of partial fine-tuning it is
 * {@code conv3+conv4}, so {@code --blocks 2} trains block12 and the head (timm's exit flow).
 */
public final class Xception extends ConvNet {
    private static final double EPS = 1e-5;
    private static final int NUM_FEATURES = 2048;

    static boolean supports(String architecture) {
        return architecture.equals("legacy_xception");
    }

    static Xception load(String architecture, TimmConfig cfg, SafeTensors weights, CheckpointLayout layout, NDManager manager,
                         Map<String, SafeTensorsWriter.Tensor> drawn) {
        cfg.rejectUnknownArgs();
        cfg.checkNumFeatures(NUM_FEATURES);
        int numClasses = cfg.numClasses;
        NDManager params = manager.newSubManager();
        try {
            return Weights.load(weights, layout, params, architecture + " (num_classes " + numClasses + ")",
                    w -> new Xception(architecture, numClasses, w, params), drawn);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /** A depthwise 3x3 (pad 1) then a pointwise 1x1, with the BatchNorm that follows folded in. */
    private record SeparableBn(Conv depthwise, Conv pointwise) {
        static SeparableBn of(Weights w, String conv, String bn, int in, int out) {
            return new SeparableBn(w.conv(conv + ".conv1", in, in, 3, 1, in, 1, false),
                    w.convBn(conv + ".pointwise", bn, in, out, 1, 1, 1, 0, EPS));
        }

        NDArray apply(NDArray x) {
            return pointwise.apply(depthwise.apply(x));
        }

        void trace(Trace t) {
            t.conv(depthwise);
            t.conv(pointwise);
        }
    }

    /** {@code out = rep(x) + skip(x)}; rep = [ReLU] sep BN (ReLU sep BN)* [max pool 3, s2, p1]. */
    private record Block(List<SeparableBn> reps, boolean startWithRelu, int stride, Conv skip) {
        static Block of(Weights w, String name, int in, int out, int reps, int stride, boolean startWithRelu,
                boolean growFirst) {
            List<SeparableBn> convs = new ArrayList<>();
            // timm's Sequential indices: every rep is (ReLU, SeparableConv2d, BatchNorm2d), minus the first ReLU.
            int offset = startWithRelu ? 1 : 0;
            for (int i = 0; i < reps; i++) {
                int cin = growFirst ? (i == 0 ? in : out) : in;
                int cout = growFirst ? out : (i < reps - 1 ? in : out);
                convs.add(SeparableBn.of(w, name + ".rep." + (3 * i + offset), name + ".rep." + (3 * i + offset + 1),
                        cin, cout));
            }
            Conv skip = out != in || stride != 1
                    ? w.convBn(name + ".skip", name + ".skipbn", in, out, 1, stride, 1, 0, EPS)
                    : null;
            return new Block(convs, startWithRelu, stride, skip);
        }

        NDArray apply(NDArray x) {
            NDArray y = x;
            for (int i = 0; i < reps.size(); i++) {
                if (i > 0 || startWithRelu) {
                    y = Activation.relu(y);
                }
                y = reps.get(i).apply(y);
            }
            if (stride != 1) {
                y = Pool.maxPool2d(y, new Shape(3, 3), new Shape(stride, stride), new Shape(1, 1), false);
            }
            return y.addi(skip == null ? x : skip.apply(x));
        }

        void trace(Trace t) {
            reps.forEach(r -> r.trace(t));
            if (stride != 1) {
                t.pool(3, stride, 1);
            }
            if (skip != null) {
                t.branch(skip);
            }
        }
    }

    private final Conv conv1;
    private final Conv conv2;
    private final List<Block> blocks = new ArrayList<>();
    private final SeparableBn conv3;
    private final SeparableBn conv4;
    private final Weights.Linear fc;
    private final Map<String, NDArray> convTensors;

    private Xception(String architecture, int numClasses, Weights w, NDManager params) {
        super(architecture, params);
        conv1 = w.convBn("conv1", "bn1", 3, 32, 3, 2, 1, 0, EPS);
        conv2 = w.convBn("conv2", "bn2", 32, 64, 3, 1, 1, 0, EPS);
        blocks.add(Block.of(w, "block1", 64, 128, 2, 2, false, true));
        blocks.add(Block.of(w, "block2", 128, 256, 2, 2, true, true));
        blocks.add(Block.of(w, "block3", 256, 728, 2, 2, true, true));
        for (int i = 4; i <= 11; i++) {
            blocks.add(Block.of(w, "block" + i, 728, 728, 3, 1, true, true));
        }
        blocks.add(Block.of(w, "block12", 728, 1024, 2, 2, true, false));
        conv3 = SeparableBn.of(w, "conv3", "bn3", 1024, 1536);
        conv4 = SeparableBn.of(w, "conv4", "bn4", 1536, NUM_FEATURES);
        fc = numClasses == 0 ? null : w.linear("fc", NUM_FEATURES, numClasses);
        convTensors = w.convTensors();
    }

    @Override
    public int numFeatures() {
        return NUM_FEATURES;
    }

    @Override
    public int numStages() {
        return blocks.size();
    }

    @Override
    public List<String> stageNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= blocks.size(); i++) {
            names.add("block" + i);
        }
        return names;
    }

    @Override
    NDArray stem(NDArray x) {
        return Activation.relu(conv2.apply(Activation.relu(conv1.apply(x))));
    }

    @Override
    NDArray stage(int index, NDArray x) {
        return blocks.get(index).apply(x);
    }

    @Override
    NDArray head(NDArray x) {
        return Activation.relu(conv4.apply(Activation.relu(conv3.apply(x))));
    }

    @Override
    String headName() {
        return "conv3+conv4";
    }

    @Override
    List<String> headPrefixes() {
        return List.of("conv3", "conv4");
    }

    @Override
    Map<String, NDArray> convTensors() {
        return convTensors;
    }

    @Override
    Weights.Linear classifier() {
        return fc;
    }

    /** conv1 (3x3 s2, unpadded) must leave at least 3x3 for conv2 (3x3, unpadded). */
    @Override
    int minInputSize() {
        return 7;
    }

    @Override
    void trace(Trace t) {
        t.conv(conv1);
        t.conv(conv2);
        blocks.forEach(b -> b.trace(t));
        conv3.trace(t);
        conv4.trace(t);
    }
}
