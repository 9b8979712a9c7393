package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.checkpoint.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What loading does with checkpoints and configs that do not fit: one clear UserError each. */
class ConvNetLoadingTest {
    /** The smallest golden ConvNet (0.45 M parameters), so rewriting it per test is cheap. */
    private static final GoldenCase V2 = new GoldenCase("effnetv2_b0_tf");
    private static NDManager manager;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void missingTensorIsNamedWithTheShapeTheArchitectureExpects() throws IOException {
        Path dir = rewrite(t -> t.remove("blocks.3.1.conv_dw.weight"));
        assertThatThrownBy(() -> load(V2.config, dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("missing tensor blocks.3.1.conv_dw.weight")
                .hasMessageContaining("[96, 1, 3, 3]");
    }

    @Test
    void firstMisshapenTensorInNetworkOrderIsNamedWithExpectedAndFoundShapes() throws IOException {
        Path dir = rewrite(t -> {
            t.put("blocks.5.0.conv_pwl.weight", zeros(48, 190, 1, 1));
            t.put("blocks.2.0.conv_exp.weight", zeros(32, 8, 5, 5));
        });
        assertThatThrownBy(() -> load(V2.config, dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("blocks.2.0.conv_exp.weight has shape [32, 8, 5, 5]")
                .hasMessageContaining("expects [32, 8, 3, 3]")
                .hasMessageContaining("tf_efficientnetv2_b0 (channel_multiplier 0.25");
    }

    @Test
    void unexpectedTensorIsNamed() throws IOException {
        Path dir = rewrite(t -> t.put("blocks.6.0.conv_pw.weight", zeros(4, 4, 1, 1)));
        assertThatThrownBy(() -> load(V2.config, dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("unexpected tensor blocks.6.0.conv_pw.weight [4, 4, 1, 1]");
    }

    @Test
    void batchNormStepCountersAreIgnoredAsTimmDoes() throws IOException {
        Path dir = rewrite(t -> t.put("bn1.num_batches_tracked", zeros(1)));
        try (SafeTensors w = SafeTensors.openDirectory(dir); ConvNet net = ConvNets.load(V2.architecture(), V2.config, w, manager)) {
            assertThat(net.numClasses()).isEqualTo(10);
        }
    }

    @Test
    void checkpointOfAnotherWidthIsRefusedAtItsFirstTensor() throws IOException {
        ObjectNode wider = V2.config.deepCopy();
        ((ObjectNode) wider.get("model_args")).put("channel_multiplier", 0.5);
        wider.remove("num_features");
        assertThatThrownBy(() -> load(wider, V2.dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("conv_stem.weight has shape [8, 3, 3, 3]")
                .hasMessageContaining("expects [16, 3, 3, 3]");
    }

    @Test
    void rootNumClassesWinsOverPretrainedCfg() {
        assertThat(V2.config.at("/pretrained_cfg/num_classes").asInt()).isEqualTo(1000);
        try (SafeTensors w = SafeTensors.openDirectory(V2.dir); ConvNet net = ConvNets.load(V2.architecture(), V2.config, w, manager)) {
            assertThat(net.numClasses()).isEqualTo(V2.config.get("num_classes").asInt());
        }
    }

    @Test
    void withoutRootNumClassesThePretrainedHeadIsExpected() {
        ObjectNode config = V2.config.deepCopy();
        config.remove("num_classes");
        ((ObjectNode) config.get("model_args")).remove("num_classes");
        assertThatThrownBy(() -> load(config, V2.dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("classifier.weight has shape [10, 320]")
                .hasMessageContaining("expects [1000, 320]");
    }

    @Test
    void contradictoryNumClassesIsRefused() {
        ObjectNode config = V2.config.deepCopy();
        ((ObjectNode) config.get("model_args")).put("num_classes", 2);
        assertThatThrownBy(() -> load(config, V2.dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("num_classes 10 but model_args.num_classes 2");
    }

    @Test
    void numClassesZeroMeansNoClassifierAndTheSameFeatures() throws IOException {
        Path dir = rewrite(t -> {
            t.remove("classifier.weight");
            t.remove("classifier.bias");
        });
        ObjectNode config = V2.config.deepCopy();
        config.put("num_classes", 0);
        ((ObjectNode) config.get("model_args")).put("num_classes", 0);
        try (NDManager scope = manager.newSubManager();
                SafeTensors w = SafeTensors.openDirectory(dir);
                ConvNet net = ConvNets.load(V2.architecture(), config, w, manager)) {
            ConvNetFeatures f = net.forward(V2.input(scope), 0);
            assertThat(net.numClasses()).isZero();
            assertThat(f.logits()).isNull();
            assertThat(f.stages()).isEmpty();
            assertThat(GoldenCase.relativeError(f.pooled().toFloatArray(), V2.vector("features"))).isLessThan(1e-4);
        }
    }

    @Test
    void unknownArchitectureIsRefusedWithTheSupportedNames() {
        assertThat(ConvNets.supports("resnet50")).isFalse();
        assertThatThrownBy(() -> load(V2.config, V2.dir, "resnet50"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("unknown ConvNet architecture \"resnet50\"")
                .hasMessageContaining("tf_efficientnetv2_b0");
    }

    @Test
    void timmAliasesAndTagsAreAccepted() {
        assertThat(ConvNets.supports("xception")).isTrue();
        assertThat(ConvNets.supports("efficientnet_b4.ra2_in1k")).isTrue();
        assertThat(ConvNets.supports("tf_efficientnetv2_l.in21k_ft_in1k")).isTrue();
    }

    @Test
    void configNamingAnotherArchitectureIsRefused() {
        assertThatThrownBy(() -> load(V2.config, V2.dir, "tf_efficientnetv2_b1"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("names architecture \"tf_efficientnetv2_b0\"");
    }

    @Test
    void modelArgsWeDoNotImplementAreRefused() {
        ObjectNode config = V2.config.deepCopy();
        ((ObjectNode) config.get("model_args")).put("act_layer", "relu");
        assertThatThrownBy(() -> load(config, V2.dir))
                .isInstanceOf(UserError.class)
                .hasMessage("config.json: model_args.act_layer is not supported for tf_efficientnetv2_b0");
    }

    @Test
    void statedNumFeaturesMustMatchTheNetwork() {
        ObjectNode config = V2.config.deepCopy();
        config.put("num_features", 1280);
        assertThatThrownBy(() -> load(config, V2.dir))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("num_features 1280 but tf_efficientnetv2_b0 with these model_args has 320");
    }

    @Test
    void badInputsAndStageCountsAreUserErrors() {
        GoldenCase xc = new GoldenCase("xception_f16");
        try (NDManager scope = manager.newSubManager();
                SafeTensors w = SafeTensors.openDirectory(xc.dir);
                ConvNet net = ConvNets.load(xc.architecture(), xc.config, w, manager)) {
            NDArray gray = scope.zeros(new Shape(1, 1, 96, 96));
            assertThatThrownBy(() -> net.forward(gray, 1)).isInstanceOf(UserError.class)
                    .hasMessageContaining("[B, 3, H, W]");
            NDArray doubles = scope.zeros(new Shape(1, 3, 96, 96), DataType.FLOAT64);
            assertThatThrownBy(() -> net.forward(doubles, 1)).isInstanceOf(UserError.class)
                    .hasMessageContaining("float32");
            NDArray tiny = scope.zeros(new Shape(1, 3, 6, 96));
            assertThatThrownBy(() -> net.forward(tiny, 1)).isInstanceOf(UserError.class)
                    .hasMessageContaining("at least 7x7");
            NDArray ok = scope.zeros(new Shape(1, 3, 96, 96));
            assertThatThrownBy(() -> net.forward(ok, 13)).isInstanceOf(UserError.class)
                    .hasMessageContaining("has 12 stages");
            NDArray head = scope.zeros(new Shape(2, 100));
            assertThatThrownBy(() -> net.gradCam(ok, head, scope.zeros(new Shape(2)), 0))
                    .isInstanceOf(UserError.class).hasMessageContaining("[K, 2048]");
        }
    }

    private static ConvNet load(JsonNode config, Path dir) {
        return load(config, dir, config.get("architecture").asText());
    }

    private static ConvNet load(JsonNode config, Path dir, String architecture) {
        try (SafeTensors w = SafeTensors.openDirectory(dir)) {
            return ConvNets.load(architecture, config, w, manager);
        }
    }

    private static SafeTensorsWriter.Tensor zeros(long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return new SafeTensorsWriter.Tensor(shape, new float[(int) n]);
    }

    /** A copy of the golden V2 checkpoint, edited. */
    private Path rewrite(Consumer<Map<String, SafeTensorsWriter.Tensor>> edit) throws IOException {
        Map<String, SafeTensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        try (SafeTensors w = SafeTensors.openDirectory(V2.dir)) {
            for (TensorInfo t : w.tensors().values()) {
                tensors.put(t.name(), new SafeTensorsWriter.Tensor(t.shape(), w.readFloats(t.name())));
            }
        }
        edit.accept(tensors);
        SafeTensorsWriter.write(tmp.resolve("model.safetensors"), tensors, Map.of());
        return tmp;
    }
}
