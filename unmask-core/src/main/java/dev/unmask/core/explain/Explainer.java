package dev.unmask.core.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.head.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.train.Autograd;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTFeatures;
import dev.unmask.core.vit.VisionTransformer;
import java.util.ArrayList;
import java.util.List;

/**
 * Heat maps that say where on a face a ViT detector looked. Inputs are preprocessed images
 * [B, 3, S, S] as {@link Detector#score} takes them; maps are on the patch grid, raw (callers
 * normalise for display).
 *
 * <p>Only one autograd recording can be open per JVM (DJL's collector is process-wide), so the
 * gradient method must not run while a training step runs in another thread.
 */
public final class Explainer {
    private Explainer() {}

    public static List<HeatMap> explain(Detector detector, NDArray images, ExplanationMethod method) {
        return switch (method) {
            case CLS_ATTENTION -> clsAttention(detector.backbone(), images);
            case GRADIENT_ATTENTION -> gradientWeightedAttention(detector.backbone(), detector.head(), images).maps();
        };
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
     * The forward pass of {@link Detector#score} (the head's input built as HeadInput.extract
     * builds it; a test holds the two equal) recorded by autograd, then backward from the fake
     * log-odds. The gradient with respect to each attention matrix is read by adding, under
     * autograd, a zero tensor that requires a gradient to the probabilities: the forward values
     * do not change, and the gradient reaching that tensor is exactly ∂y/∂A through every later block.
     */
    static AttentionGradients attentionGradients(VisionTransformer vit, Head head, NDArray images) {
        NDManager scope = images.getManager();
        FeatureVariant variant = head.spec().variant();
        int depth = vit.config().depth();
        int n = variant.blocks(depth);
        List<NDArray> attention = new ArrayList<>();
        List<NDArray> probes = new ArrayList<>();
        NDArray features;
        NDArray featureProbe = null;
        NDArray logOdds;
        try (GradientCollector collector = Autograd.record()) {
            NDArray x = vit.embed(images);
            List<NDArray> perBlock = new ArrayList<>();
            for (int i = 0; i < depth; i++) {
                x = vit.blocks().get(i).forward(x, false, probs -> {
                    NDArray probe = scope.zeros(probs.getShape());
                    Autograd.requireGradient(probe, true);
                    attention.add(probs);
                    probes.add(probe);
                    return probs.add(probe);
                }).output();
                if (i >= depth - n) {
                    NDArray normed = vit.norm().forward(x);
                    perBlock.add(variant.allTokens() ? normed : normed.get(new NDIndex(":, 0:1, :")));
                }
            }
            features = NDArrays.stack(new NDList(perBlock), 1);
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
            tokenWeight = Autograd.takeGradient(featureProbe, scope).mul(features).sum(new int[] {1, 3}).maximum(0f);
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
                NDArray weighted = g.gradients().get(i).mul(g.attention().get(i)).maximum(0f).mean(new int[] {1});
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
            throw new IllegalStateException("expected " + batch + "×" + p + " values, got " + flat.length);
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
