package dev.unmask.core.model;

import dev.unmask.core.image.Normalization;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNetFeatures;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.vit.VisionTransformer;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a detector's head sits on: a ViT or a ConvNet, frozen, seen only through what a head
 * reads ({@code [B, blocks, tokens, dim]}), the preprocessing it expects and the tensors a
 * detector file may replace. Training, scoring and the detector file go through this; only
 * what is family-specific by nature (fine-tuning blocks, attention maps, Grad-CAM) reaches the
 * model itself.
 */
public sealed interface Backbone extends AutoCloseable permits Backbone.ViT, Backbone.Conv {
    String VIT = "vit";
    String CONVNET = "convnet";

    /** {@value #VIT} or {@value #CONVNET}, as recorded in detector files. */
    String kind();

    /** Where the weights live; scoring scopes are made under it. */
    NDManager manager();

    /** The input recipe at {@code size}×{@code size} with the checkpoint's own mean and std; sizes it cannot take are refused. */
    Preprocessing preprocessing(int size);

    /** Refuses, in one line, a feature variant this kind of backbone does not give. */
    void requireFeatures(FeatureVariant variant);

    /** Blocks, tokens per block and width of what {@code variant} reads at a size×size input. */
    int[] headInputShape(FeatureVariant variant, int size);

    /** What a head on {@code variant} reads: [B, blocks, tokens, dim], inference numerics, in the images' manager. */
    NDArray headInput(NDArray images, FeatureVariant variant);

    /** Canonical tensor names and shapes: what a detector's {@code backbone.*} tensors may replace. */
    Map<String, long[]> parameterShapes();

    /** The live tensors by canonical name. */
    Map<String, NDArray> parameters();

    @Override
    void close();

    /** Loads whichever family the directory holds into a sub-manager of {@code parent}. */
    static Backbone load(ModelDirectory md, NDManager parent) {
        if (md.isConvNet()) {
            return new Conv(md.loadConvNet(parent), parent, md.normalization());
        }
        return new ViT(md.loadViT(parent));
    }

    /** A Vision Transformer; every variant but {@code pooled}. */
    record ViT(VisionTransformer model) implements Backbone {
        @Override
        public String kind() {
            return VIT;
        }

        @Override
        public NDManager manager() {
            return model.manager();
        }

        @Override
        public Preprocessing preprocessing(int size) {
            return Preprocessing.forBackbone(model.config().patchSize(), model.config().mean(), model.config().std(), size);
        }

        @Override
        public void requireFeatures(FeatureVariant variant) {
            if (variant.forConvNets()) {
                throw new UserError("--features " + variant + " is for ConvNets; a ViT gives "
                        + Arrays.stream(FeatureVariant.values()).filter(v -> !v.forConvNets()).map(FeatureVariant::id)
                        .collect(Collectors.joining(", ")));
            }
        }

        @Override
        public int[] headInputShape(FeatureVariant variant, int size) {
            return new int[] {variant.blocks(model.config().depth()), HeadInput.tokens(model, variant, size, size), model.config().embedDim()};
        }

        @Override
        public NDArray headInput(NDArray images, FeatureVariant variant) {
            return HeadInput.extract(model, images, variant);
        }

        @Override
        public Map<String, long[]> parameterShapes() {
            return model.config().parameterShapes();
        }

        @Override
        public Map<String, NDArray> parameters() {
            return model.parameters();
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /**
     * A ConvNet: the head reads the global-average-pooled last convolutional map (timm's
     * pre-logits features), the checkpoint's own classifier is never used. BatchNorm is folded
     * into the convolutions at load, so the network is always in eval mode, and partial
     * fine-tuning trains the folded convolutions with BatchNorm frozen.
     *
     * @param manager the manager the network was loaded under (the network's own is private to it)
     */
    record Conv(ConvNet model, NDManager manager, Normalization normalization) implements Backbone {
        @Override
        public String kind() {
            return CONVNET;
        }

        @Override
        public Preprocessing preprocessing(int size) {
            if (size < model.minimumInputSize()) {
                throw new UserError("image size " + size + " is below the " + model.minimumInputSize() + " pixels " + model.architecture()
                        + " needs");
            }
            return new Preprocessing(size, normalization.mean(), normalization.std(), Preprocessing.JAVA2D_BICUBIC);
        }

        @Override
        public void requireFeatures(FeatureVariant variant) {
            if (!variant.forConvNets()) {
                throw new UserError("--features " + variant + " reads ViT tokens; a ConvNet (" + model.architecture() + ") gives "
                        + FeatureVariant.POOLED + " (its last map, global-average-pooled)");
            }
        }

        @Override
        public int[] headInputShape(FeatureVariant variant, int size) {
            requireFeatures(variant);
            return new int[] {1, 1, model.numFeatures()};
        }

        @Override
        public NDArray headInput(NDArray images, FeatureVariant variant) {
            requireFeatures(variant);
            ConvNetFeatures f = model.forward(images, 0);
            if (f.logits() != null) {
                f.logits().close();
            }
            Shape s = f.pooled().getShape();
            return f.pooled().reshape(s.get(0), 1, 1, s.get(1));
        }

        /**
         * The tensors partial fine-tuning may train: every stage's and the head's convolutions,
         * BatchNorm folded in (see {@link ConvNet#unitTensors(int)}); the stem is never trained.
         */
        @Override
        public Map<String, long[]> parameterShapes() {
            Map<String, long[]> out = new java.util.LinkedHashMap<>();
            parameters().forEach((k, v) -> out.put(k, v.getShape().getShape()));
            return out;
        }

        @Override
        public Map<String, NDArray> parameters() {
            return model.unitTensors(0);
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
