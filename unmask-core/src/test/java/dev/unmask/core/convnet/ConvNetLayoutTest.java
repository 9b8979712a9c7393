package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.checkpoint.TensorInfo;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ConvNet weights reach the network through a checkpoint layout, as a ViT's do: a checkpoint
 * whose names another source spells loads, through that source's converter, into the same network.
 */
class ConvNetLayoutTest {
    private static final GoldenCase V2 = new GoldenCase("effnetv2_b0_tf");

    /** How a training wrapper saves a timm model: every name under {@code model.}, plus its own step counter. */
    private static final CheckpointLayout WRAPPED = new CheckpointLayout() {
        @Override
        public String name() {
            return "wrapped timm";
        }

        @Override
        public Target toCanonical(String source) {
            if (source.equals("global_step") || source.endsWith(".num_batches_tracked")) {
                return IGNORED;
            }
            return source.startsWith("model.") ? Target.whole(source.substring("model.".length())) : null;
        }

        @Override
        public String toSource(String canonical) {
            return "model." + canonical;
        }
    };

    @TempDir
    Path tmp;

    @Test
    void aCheckpointInAnotherSourcesNamesLoadsIntoTheSameNetwork() throws Exception {
        Map<String, SafeTensorsWriter.Tensor> renamed = new LinkedHashMap<>();
        try (SafeTensors w = SafeTensors.openDirectory(V2.dir)) {
            for (TensorInfo t : w.tensors().values()) {
                renamed.put("model." + t.name(), new SafeTensorsWriter.Tensor(t.shape(), w.readFloats(t.name())));
            }
        }
        renamed.put("global_step", new SafeTensorsWriter.Tensor(new long[] {1}, new float[] {1000}));
        SafeTensorsWriter.write(tmp.resolve("model.safetensors"), renamed, Map.of());
        try (NDManager m = NDManager.newBaseManager(); SafeTensors timm = SafeTensors.openDirectory(V2.dir);
             SafeTensors wrapped = SafeTensors.openDirectory(tmp);
             ConvNet a = ConvNets.load(V2.architecture(), V2.config, timm, m);
             ConvNet b = ConvNets.load(V2.architecture(), V2.config, wrapped, WRAPPED, m)) {
            NDArray x = V2.input(m);
            assertThat(b.forward(x, 1).logits().toFloatArray()).isEqualTo(a.forward(x, 1).logits().toFloatArray());
            // Read as timm names, the same file fits nothing: the layout is what makes it load.
            assertThatThrownBy(() -> ConvNets.load(V2.architecture(), V2.config, wrapped, m)).isInstanceOf(UserError.class)
                    .hasMessageContaining("missing tensor conv_stem.weight");
        }
        renamed.remove("model.conv_stem.weight");
        SafeTensorsWriter.write(tmp.resolve("model.safetensors"), renamed, Map.of());
        try (NDManager m = NDManager.newBaseManager(); SafeTensors wrapped = SafeTensors.openDirectory(tmp)) {
            assertThatThrownBy(() -> ConvNets.load(V2.architecture(), V2.config, wrapped, WRAPPED, m)).isInstanceOf(UserError.class)
                    .hasMessageContaining("missing tensor model.conv_stem.weight");
        }
    }
}
