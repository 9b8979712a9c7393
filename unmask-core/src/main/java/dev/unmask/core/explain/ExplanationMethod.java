package dev.unmask.core.explain;

import dev.unmask.core.UserError;

/** How a heat map over a face is made from a detector: two methods for ViTs, one for ConvNets. */
public enum ExplanationMethod {
    /**
     * The paper's figure: the last block's softmax attention from the CLS query to the patch keys
     * (register keys left out), averaged over heads. Meaningful for Approach 2, whose fine-tuned
     * last block learned where to look; a frozen backbone's attention is the same whatever the head.
     */
    CLS_ATTENTION("cls-attention", "last block's CLS attention", "last block's CLS->patch attention, heads averaged (Nguyen et al. 2024)"),
    /**
     * Chefer et al. (ICCV 2021): per block, attention × its gradient for the fake log-odds, positive
     * part, heads averaged, accumulated through the blocks as R ← R + Ā·R. Involves the head, so it
     * explains a frozen backbone's probe (Approach 1).
     */
    GRADIENT_ATTENTION("grad-attention", "attention x gradient, all blocks",
            "gradient-weighted attention relevance for the fake log-odds, all blocks (Chefer et al. 2021)"),
    /**
     * Selvaraju et al. (ICCV 2017) for ConvNets: the last convolutional map's channels weighted by
     * the spatial mean of the fake log-odds' gradient, summed, positive part, placed on the input
     * pixels the cells are centred on.
     */
    GRAD_CAM("grad-cam", "Grad-CAM, last stage", "Grad-CAM of the fake log-odds on the last convolutional map (Selvaraju et al. 2017)");

    private final String id;
    private final String shortName;
    private final String description;

    ExplanationMethod(String id, String shortName, String description) {
        this.id = id;
        this.shortName = shortName;
        this.description = description;
    }

    /** A few ASCII words for captions. */
    public String shortName() {
        return shortName;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** Whether the method reads a ViT's attention (else a ConvNet's maps). */
    public boolean forViTs() {
        return this != GRAD_CAM;
    }

    /** The method that explains a ViT detector trained by {@code approach} ("probe", "finetune", "lntune"). */
    public static ExplanationMethod forApproach(String approach) {
        return switch (approach) {
            case "probe" -> GRADIENT_ATTENTION;
            case "finetune", "lntune" -> CLS_ATTENTION;
            default -> throw new UserError("no explanation method for a detector of approach \"" + approach + "\"");
        };
    }

    public static ExplanationMethod parse(String id) {
        for (ExplanationMethod m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new UserError("unknown explanation method \"" + id + "\"; choose cls-attention, grad-attention (ViTs) or grad-cam (ConvNets)");
    }
}
