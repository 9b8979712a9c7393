package dev.unmask.core.model;

import dev.unmask.core.UserError;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What a head reads from the backbone, the paper's feature variants (DESIGN.md). Every variant
 * reads the last n blocks' outputs, each through the final norm, as DINOv2's
 * {@code get_intermediate_layers(n, norm=True)} gives them: either the CLS token alone or all
 * tokens (CLS, registers, patches). ConvNets have one variant of their own, {@link #POOLED}.
 */
public enum FeatureVariant {
    /** The final normed CLS token. */
    CLS_LAST("cls_last", 1, false, Combine.CONCAT, 0f),
    /** Normed CLS of the last 4 blocks, concatenated in block order (dinov2 linear eval, use_n_blocks=4). */
    CLS_CONCAT_4("cls_concat_4", 4, false, Combine.CONCAT, 0f),
    /** Learned weighted sum of the last 4 normed CLS tokens, weights starting at 1/4. */
    CLS_WS_4("cls_ws_4", 4, false, Combine.WEIGHTED_SUM, 0f),
    /** All normed tokens of the last block, flattened. */
    ALL_LAST("all_last", 1, true, Combine.CONCAT, 0f),
    /** Learned weighted sum of the last 4 blocks' normed tokens, flattened. */
    ALL_WS_4("all_ws_4", 4, true, Combine.WEIGHTED_SUM, 0f),
    /** As {@code all_ws_4}, with dropout 0.4 before the classifier. */
    ALL_DROPOUT_WS_4("all_dropout_ws_4", 4, true, Combine.WEIGHTED_SUM, 0.4f),
    /** Per block Linear(D→1024)+ReLU on every token, concatenated, dropout 0.4, then the classifier. */
    ALL_DROPOUT_CONCAT_4("all_dropout_concat_4", 4, true, Combine.PROJECT_CONCAT, 0.4f),
    /**
     * A ConvNet's last convolutional map, global-average-pooled (timm's pre-logits features):
     * one vector per image, read as [1 block, 1 token, F channels].
     */
    POOLED("pooled", 1, false, Combine.CONCAT, 0f);

    /** How the per-block features become one vector. */
    public enum Combine { CONCAT, WEIGHTED_SUM, PROJECT_CONCAT }

    /** Width of the per-block projection of {@code all_dropout_concat_4}. */
    public static final int PROJECTION_WIDTH = 1024;

    private final String id;
    private final int blocks;
    private final boolean allTokens;
    private final Combine combine;
    private final float dropout;

    FeatureVariant(String id, int blocks, boolean allTokens, Combine combine, float dropout) {
        this.id = id;
        this.blocks = blocks;
        this.allTokens = allTokens;
        this.combine = combine;
        this.dropout = dropout;
    }

    public String id() {
        return id;
    }

    /** Blocks read, clamped to the backbone's depth. */
    public int blocks(int depth) {
        return Math.min(blocks, depth);
    }

    public boolean allTokens() {
        return allTokens;
    }

    /** Whether the variant reads a ConvNet's pooled map rather than a ViT's tokens. */
    public boolean forConvNets() {
        return this == POOLED;
    }

    public Combine combine() {
        return combine;
    }

    public float dropout() {
        return dropout;
    }

    public static FeatureVariant parse(String id) {
        for (FeatureVariant v : values()) {
            if (v.id.equals(id)) {
                return v;
            }
        }
        throw new UserError("unknown feature variant \"" + id + "\"; choose one of "
                + Arrays.stream(values()).map(FeatureVariant::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
