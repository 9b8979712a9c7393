package dev.unmask.core.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.model.HeadInput;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.model.Backbone;
import dev.unmask.core.tensor.Autograd;
import dev.unmask.core.tensor.Scalar;
import dev.unmask.core.vit.ForwardPass;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTFeatures;
import dev.unmask.core.vit.VisionTransformer;
import java.util.ArrayList;
import java.util.List;

/**
 * Heat maps that say where on a face a detector looked, whichever its backbone. Inputs are
 * preprocessed images [B, 3, S, S] as {@link Detector#score} takes them; maps are raw (callers
 * normalise for display), on the patch grid for ViTs and on {@link #GRAD_CAM_CELL}-pixel cells
 * for ConvNets.
 *
 * <p>Only one autograd recording can be open per JVM (DJL's collector is process-wide), so the
 * gradient method must not run while a training step runs in another thread.
 */
public final class Explainer {
    private Explainer() {}

    /**
     * Side of the square cells a Grad-CAM map is averaged into (or the largest divisor of the
     * input side below it): fine against the 32-pixel spacing of a ConvNet's last map, and small
     * enough for the JSON report.
     */
    public static final int GRAD_CAM_CELL = 8;

    public static List<HeatMap> explain(Detector detector, NDArray images, ExplanationMethod method) {
        methodFor(detector, java.util.Objects.requireNonNull(method, "method"));
        Backbone backbone = detector.backbone();
        return switch (method) {
            case CLS_ATTENTION -> clsAttention(((Backbone.ViT) backbone).model(), images);
            case GRADIENT_ATTENTION -> gradientWeightedAttention(((Backbone.ViT) backbone).model(), detector.head(), images).maps();
            case GRAD_CAM -> gradCam(((Backbone.Conv) backbone).model(), detector.head(), images);
        };
    }

    /**
     * {@code requested}, if it can explain this detector, or (null requested) the one that suits it:
     * Grad-CAM for a ConvNet; for a ViT, the CLS attention of a fine-tuned last block, or the
     * gradient-weighted attention of a frozen backbone's probe.
     */
    public static ExplanationMethod methodFor(Detector detector, ExplanationMethod requested) {
        boolean vit = detector.backbone() instanceof Backbone.ViT;
        if (requested == null) {
            return vit ? ExplanationMethod.forApproach(detector.spec().approach()) : ExplanationMethod.GRAD_CAM;
        }
        if (requested.forViTs() != vit) {
            throw new UserError("explanation method " + requested.id() + " is for " + (requested.forViTs() ? "ViT" : "ConvNet")
                    + " detectors; this detector's backbone is a " + detector.backbone().kind() + " (use "
                    + (vit ? "cls-attention or grad-attention" : "grad-cam") + ")");
        }
        return requested;
    }

    /**
     * Grad-CAM of the fake log-odds y = logit_fake − logit_real on the last convolutional map.
     * Through a linear head on the pooled map, ∂y/∂pooled is the difference of the head's two
     * rows, the same for every image, and {@link ConvNet#gradCam} takes it in closed form; through
     * an MLP head it depends on the image, so it is taken by autograd, image by image.
     */
    static List<HeatMap> gradCam(ConvNet net, Head head, NDArray images) {
        int b = (int) images.getShape().get(0);
        int side = (int) images.getShape().get(2);
        List<HeatMap> out = new ArrayList<>(b);
        try (NDManager scope = images.getManager().newSubManager()) {
            images.tempAttach(scope);
            NDArray bias = scope.zeros(new Shape(1));
            if (head.spec().kind() == HeadSpec.Kind.LINEAR) {
                float[] w = head.parameters().get("head.weight").toFloatArray();
                int f = w.length / 2;
                float[] diff = new float[f];
                for (int k = 0; k < f; k++) {
                    diff[k] = w[f + k] - w[k];
                }
                NDArray row = scope.create(diff, new Shape(1, f));
                for (float[][] cam : net.gradCam(images, row, bias, 0)) {
                    out.add(cells(cam, side));
                }
            } else {
                NDArray rows = logOddsGradient(net, head, images, scope);
                for (int i = 0; i < b; i++) {
                    NDArray one = images.get(new NDIndex("{}:{}", i, i + 1));
                    out.add(cells(net.gradCam(one, rows.get(new NDIndex("{}:{}, :", i, i + 1)), bias, 0)[0], side));
                }
            }
        }
        return out;
    }

    /** ∂(logit_fake − logit_real)/∂pooled features, per image [B, F]. */
    static NDArray logOddsGradient(ConvNet net, Head head, NDArray images, NDManager scope) {
        NDArray pooled = net.forward(images, 0).pooled();
        long b = pooled.getShape().get(0);
        NDArray probe = scope.zeros(pooled.getShape());
        Autograd.requireGradient(probe, true);
        try (GradientCollector collector = Autograd.record()) {
            NDArray features = pooled.add(probe).reshape(b, 1, 1, pooled.getShape().get(1));
            NDArray logits = head.logits(features, null);
            collector.backward(logits.get(new NDIndex(":, 1")).sub(logits.get(new NDIndex(":, 0"))).sum());
        }
        return Autograd.takeGradient(probe, scope);
    }

    /** A full-resolution map averaged into square cells. */
    private static HeatMap cells(float[][] cam, int side) {
        int cell = GRAD_CAM_CELL;
        while (side % cell != 0) {
            cell--;
        }
        int g = side / cell;
        float[] grid = new float[g * g];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                grid[(y / cell) * g + x / cell] += cam[y][x] / (cell * cell);
            }
        }
        return new HeatMap(g, g, cell, grid);
    }

    /** Last block, CLS query → patch keys (the slice after CLS and the registers), averaged over heads. */
    public static List<HeatMap> clsAttention(VisionTransformer vit, NDArray images) {
        try (NDManager scope = images.getManager().newSubManager()) {
            images.tempAttach(scope);
            ViTFeatures f = vit.features(images, 1, false, true);
            float[] perImage = f.attentionClsToPatches().mean(new int[] {1}).toFloatArray();
            return maps(perImage, f.gridH(), f.gridW(), vit.config().patchSize(), (int) images.getShape().get(0));
        }
    }

    /**
     * What the gradient method reads from one forward and backward pass, in the caller's manager.
     *
     * @param attention   each block's softmax attention [B, heads, T, T]
     * @param gradients   ∂y/∂attention of each block, same shapes
     * @param tokenWeight for heads that read all tokens, (gradient × input)⁺ per token of what the head read [B, T]; else null
     * @param logOdds     y = logit_fake − logit_real per image [B]
     */
    record AttentionGradients(List<NDArray> attention, List<NDArray> gradients, NDArray tokenWeight, NDArray logOdds) {}

    /**
     * The forward pass of {@link Detector#score} (the head's input built by
     * {@link HeadInput#fromNormedBlocks} as for scoring; a test holds the two equal) recorded by
     * autograd, then backward from the fake log-odds. The gradient with respect to each attention matrix is read by adding, under
     * autograd, a zero tensor that requires a gradient to the probabilities: the forward values
     * do not change, and the gradient reaching that tensor is exactly ∂y/∂A through every later block.
     */
    static AttentionGradients attentionGradients(VisionTransformer vit, Head head, NDArray images) {
        NDManager scope = images.getManager();
        FeatureVariant variant = head.spec().variant();
        int depth = vit.config().depth();
        List<NDArray> probes = new ArrayList<>();
        List<NDArray> attention;
        NDArray features;
        NDArray featureProbe = null;
        NDArray logOdds;
        try (GradientCollector collector = Autograd.record()) {
            ForwardPass pass = ForwardPass.blocks(0, depth).keepNormed(variant.blocks(depth)).keepAllAttention().withGradients(true)
                    .tapAttention((block, probs) -> {
                        NDArray probe = scope.zeros(probs.getShape());
                        Autograd.requireGradient(probe, true);
                        probes.add(probe);
                        return probs.add(probe);
                    });
            ForwardPass.Output out = vit.forward(images, pass);
            attention = new ArrayList<>(out.attention().values());
            features = HeadInput.fromNormedBlocks(out.normed(), variant);
            if (variant.allTokens()) {
                featureProbe = scope.zeros(features.getShape());
                Autograd.requireGradient(featureProbe, true);
                features = features.add(featureProbe);
            }
            NDArray logits = head.logits(features, null);
            logOdds = logits.get(new NDIndex(":, 1")).sub(logits.get(new NDIndex(":, 0")));
            collector.backward(logOdds.sum());
        }
        List<NDArray> gradients = new ArrayList<>();
        for (NDArray probe : probes) {
            gradients.add(Autograd.takeGradient(probe, scope));
        }
        NDArray tokenWeight = null;
        if (featureProbe != null) {
            // [B, blocks, T, D] → [B, T]
            tokenWeight = Scalar.maximum(Autograd.takeGradient(featureProbe, scope).mul(features).sum(new int[] {1, 3}), 0f);
        }
        return new AttentionGradients(attention, gradients, tokenWeight, logOdds);
    }

    /** Maps and the fake log-odds of the same pass. */
    record Relevance(List<HeatMap> maps, float[] fakeLogOdds) {}

    /**
     * Chefer et al. 2021 ("Generic attention-model explainability", eq. 5–6) for the fake class:
     * R starts as the identity over tokens; for each block in order, Ā = mean over heads of
     * (∂y/∂A ⊙ A)⁺ and R ← R + Ā·R, where y is the fake log-odds (logit_fake − logit_real, the
     * quantity the two-way softmax score is a function of). A head that reads CLS tokens reads
     * R's CLS row; a head that reads all tokens weighs each token's row by its (gradient × input)⁺.
     * The map is that row's patch columns (registers left out).
     */
    static Relevance gradientWeightedAttention(VisionTransformer vit, Head head, NDArray images) {
        ViTConfig cfg = vit.config();
        int b = (int) images.getShape().get(0);
        try (NDManager scope = images.getManager().newSubManager()) {
            images.tempAttach(scope);
            AttentionGradients g = attentionGradients(vit, head, images);
            long t = g.attention().get(0).getShape().get(2);
            NDArray relevance = scope.eye((int) t).expandDims(0).repeat(0, b);
            for (int i = 0; i < g.attention().size(); i++) {
                NDArray weighted = Scalar.maximum(g.gradients().get(i).mul(g.attention().get(i)), 0f).mean(new int[] {1});
                relevance = relevance.add(weighted.matMul(relevance));
            }
            NDArray row = g.tokenWeight() == null
                    ? relevance.get(new NDIndex(":, 0, :"))
                    : g.tokenWeight().expandDims(1).matMul(relevance).squeeze(1);
            float[] patches = row.get(new NDIndex(":, {}:", 1 + cfg.numRegisters())).toFloatArray();
            int gh = (int) (images.getShape().get(2) / cfg.patchSize());
            int gw = (int) (images.getShape().get(3) / cfg.patchSize());
            return new Relevance(maps(patches, gh, gw, cfg.patchSize(), b), g.logOdds().toFloatArray());
        }
    }

    private static List<HeatMap> maps(float[] flat, int gh, int gw, int patch, int batch) {
        int p = gh * gw;
        if (flat.length != batch * p) {
            throw new IllegalStateException("expected " + batch + "x" + p + " values, got " + flat.length);
        }
        List<HeatMap> out = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            float[] g = new float[p];
            System.arraycopy(flat, i * p, g, 0, p);
            out.add(new HeatMap(gh, gw, patch, g));
        }
        return out;
    }
}
