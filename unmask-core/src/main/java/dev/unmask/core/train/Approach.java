package dev.unmask.core.train;

import dev.unmask.core.UserError;

/** The paper's two approaches, plus LayerNorm tuning. */
public enum Approach {
    /** Approach 1: frozen backbone, head on cached features, SGD. */
    PROBE("probe"),
    /** Approach 2: last k blocks + final norm (+ CLS/register tokens) + head, AdamW. */
    FINETUNE("finetune"),
    /** LayerNorm weights and biases of the last k blocks + final norm + head, AdamW. */
    LNTUNE("lntune");

    private final String id;

    Approach(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public boolean tunesBackbone() {
        return this != PROBE;
    }

    public static Approach parse(String id) {
        for (Approach a : values()) {
            if (a.id.equals(id)) {
                return a;
            }
        }
        throw new UserError("unknown approach \"" + id + "\"; choose probe, finetune or lntune");
    }

    @Override
    public String toString() {
        return id;
    }
}
