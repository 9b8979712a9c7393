package dev.unmask.core.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * What every downstream use (probes, fine-tuning, explanation, the CLI) reads from a ViT, as
 * DINOv2's {@code get_intermediate_layers} does for its users.
 *
 * @param tokens        final normed tokens [B, 1+R+P, D]: CLS, registers, patches (row-major)
 * @param clsLast       CLS of each of the last n blocks, each through the final norm, in block order [B, n, D]
 * @param blockTokens   all tokens of the last n blocks through the final norm [n][B, T, D], or null
 * @param lastAttention last block's softmax attention [B, heads, T, T], or null
 */
public record ViTFeatures(
        NDArray tokens, NDArray clsLast, NDArray[] blockTokens, NDArray lastAttention,
        int numRegisters, int gridH, int gridW) {

    public NDArray clsFinal() {
        return tokens.get(new NDIndex(":, 0, :"));
    }

    public NDArray registers() {
        return tokens.get(new NDIndex(":, 1:{}, :", 1 + numRegisters));
    }

    public NDArray patchTokens() {
        return tokens.get(new NDIndex(":, {}:, :", 1 + numRegisters));
    }

    /** CLS query → patch keys of the last block, per head [B, heads, P]; CLS and register keys dropped. */
    public NDArray attentionClsToPatches() {
        if (lastAttention == null) {
            throw new IllegalStateException("attention was not requested");
        }
        return lastAttention.get(new NDIndex(":, :, 0, {}:", 1 + numRegisters));
    }
}
