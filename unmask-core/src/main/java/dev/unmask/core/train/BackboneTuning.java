package dev.unmask.core.train;

import dev.unmask.core.UserError;
import dev.unmask.core.vit.ViTConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Which backbone tensors Approach 2 trains. Names are canonical ({@link ViTConfig#parameterShapes()}).
 *
 * @param approach     "finetune" (whole blocks) or "lntune" (LayerNorm weights and biases only)
 * @param blocks       k: the last k blocks are trained, everything before stays frozen
 * @param tokens       also train the CLS and register tokens, as the paper does; they enter at
 *                     block 0, so they must stay frozen when the frozen prefix is cached
 */
public record BackboneTuning(String approach, int blocks, boolean tokens) {
    public static final String FINETUNE = "finetune";
    public static final String LNTUNE = "lntune";

    public BackboneTuning {
        if (!approach.equals(FINETUNE) && !approach.equals(LNTUNE)) {
            throw new IllegalArgumentException("unknown tuning " + approach);
        }
    }

    /** The first trained block of a backbone of the given depth. */
    public int firstBlock(int depth) {
        return depth - blocks;
    }

    /** Trained tensor names, in the model's parameter order (tokens, blocks, final norm). */
    public List<String> parameterNames(ViTConfig config) {
        if (blocks < 1 || blocks > config.depth()) {
            throw new UserError("--blocks " + blocks + " must be between 1 and the backbone depth " + config.depth());
        }
        List<String> out = new ArrayList<>();
        int first = firstBlock(config.depth());
        for (String name : config.parameterShapes().keySet()) {
            if (name.equals("cls_token") || name.equals("register_tokens")) {
                if (tokens) {
                    out.add(name);
                }
            } else if (name.startsWith("blocks.")) {
                int i = Integer.parseInt(name.substring(7, name.indexOf('.', 7)));
                if (i >= first && (approach.equals(FINETUNE) || isNorm(name))) {
                    out.add(name);
                }
            } else if (name.startsWith("norm.")) {
                out.add(name);
            }
        }
        return out;
    }

    private static boolean isNorm(String name) {
        return name.contains(".norm1.") || name.contains(".norm2.");
    }
}
