package dev.unmask.core.checkpoint;

/**
 * Renames one checkpoint source's tensors into Unmask's canonical names: for ViTs those of the
 * DINOv2 research code ({@code blocks.N.attn.qkv.weight}, {@code ls1.gamma}, {@code register_tokens} …),
 * for ConvNets those of timm 0.9.12's state_dict ({@code conv_stem.weight}, {@code blocks.S.B.conv_dw.weight} …).
 * Each source (transformers, timm, original research code) has one small converter; the model
 * itself never knows where its weights came from.
 */
public interface CheckpointLayout {

    /** Where a source tensor goes: the canonical name, and its slot when several sources are concatenated along axis 0. */
    record Target(String canonical, int part, int parts) {
        public static Target whole(String canonical) {
            return new Target(canonical, 0, 1);
        }
    }

    /** Marker for tensors this family is known to carry but the encoder does not use (decoders, mask tokens, poolers). */
    Target IGNORED = new Target("", -1, 0);

    String name();

    /** The canonical target of {@code source}, {@link #IGNORED}, or null when the name is not of this layout. */
    Target toCanonical(String source);

    /** The name this layout would use for a canonical tensor, for messages about what is missing. */
    String toSource(String canonical);
}
