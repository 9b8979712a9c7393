package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.ModelDirectory;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A random ConvNet written to disk loads back, through the checkpoint checks, as the very network {@link ConvNets#random} builds. */
class RandomConvNetTest {
    @TempDir
    Path dir;

    @Test
    void writtenRandomWeightsLoadBackAsTheSameNetwork() throws Exception {
        ObjectNode config = StrictJson.mapper().createObjectNode().put("architecture", "efficientnet_b0").put("num_classes", 1000);
        ConvNets.writeRandom(dir, "efficientnet_b0", config);
        try (NDManager m = NDManager.newBaseManager();
                ConvNet random = ConvNets.random("efficientnet_b0", config, m);
                ConvNet loaded = ModelDirectory.open(dir).loadConvNet(m)) {
            Map<String, NDArray> expected = random.unitTensors(0);
            Map<String, NDArray> actual = loaded.unitTensors(0);
            assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
            // Folding BatchNorm again from the stored raw values gives the same float32 numbers.
            expected.forEach((k, v) -> assertThat(actual.get(k).toFloatArray()).as(k).isEqualTo(v.toFloatArray()));
            assertThat(loaded.numClasses()).isEqualTo(1000);
        }
    }
}
