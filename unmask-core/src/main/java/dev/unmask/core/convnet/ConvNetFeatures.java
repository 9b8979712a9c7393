package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * What a ConvNet gives Approach 1: the pooled pre-classifier features [B, F], the original
 * classifier's logits [B, C] (null when the checkpoint has no classifier), and the maps
 * [B, C_i, h_i, w_i] of the last N stages in network order. All belong to the input's manager.
 */
public record ConvNetFeatures(NDArray pooled, NDArray logits, List<NDArray> stages) {

    public ConvNetFeatures {
        stages = List.copyOf(stages);
    }

    /** Each stage map averaged over its height and width: [B, C_i], in stage order. */
    public List<NDArray> pooledStages() {
        List<NDArray> out = new ArrayList<>(stages.size());
        for (NDArray s : stages) {
            out.add(ConvNet.spatialMean(s, false));
        }
        return out;
    }
}
