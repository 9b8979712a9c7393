package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.unmask.core.checkpoint.SafeTensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ConvNet families against timm 0.9.12 (golden cases made by running timm on random weights):
 * pooled features and logits within 1e-4 relative, and every stage output (spatial mean per
 * channel) too, which pins down what a "stage" is.
 */
class ConvNetGoldenTest {
    private static final double TOLERANCE = 1e-4;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void efficientnetB0WithSymmetricPaddingMatchesTimm() {
        assertMatchesTimm("effnet_b0", i -> "stage" + i + "_out_mean");
    }

    @Test
    void tfEfficientnetV2WithSamePaddingFusedBlocksAndNarrowWidthMatchesTimm() {
        assertMatchesTimm("effnetv2_b0_tf", i -> "stage" + i + "_out_mean");
    }

    @Test
    void legacyXceptionFromHalfPrecisionWeightsMatchesTimm() {
        assertMatchesTimm("xception_f16", i -> "block" + (i + 1) + "_out_mean");
    }

    private static void assertMatchesTimm(String name, IntFunction<String> stageKey) {
        GoldenCase golden = new GoldenCase(name);
        try (NDManager scope = manager.newSubManager();
                SafeTensors weights = SafeTensors.openDirectory(golden.dir);
                ConvNet net = ConvNets.load(golden.architecture(), golden.config, weights, manager)) {
            NDArray input = golden.input(scope);
            ConvNetFeatures f = net.forward(input, net.numStages());

            Map<String, Double> errors = new LinkedHashMap<>();
            errors.put("features", GoldenCase.relativeError(f.pooled().toFloatArray(), golden.vector("features")));
            errors.put("logits", GoldenCase.relativeError(f.logits().toFloatArray(), golden.vector("logits")));
            List<NDArray> stageMeans = f.pooledStages();
            assertThat(stageMeans).hasSize(net.numStages());
            for (int i = 0; i < stageMeans.size(); i++) {
                String key = stageKey.apply(i);
                errors.put(key, GoldenCase.relativeError(stageMeans.get(i).toFloatArray(), golden.vector(key)));
            }
            System.out.printf("%s max relative error %.2e; %s%n", name,
                    errors.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow(), errors);
            // For the record: distance to the float64 reference (BN folding is done in double).
            System.out.printf("%s vs float64 reference: features %.2e, logits %.2e%n", name,
                    GoldenCase.relativeError(f.pooled().toFloatArray(), GoldenCase.vector(golden.expectedF64, "features")),
                    GoldenCase.relativeError(f.logits().toFloatArray(), GoldenCase.vector(golden.expectedF64, "logits")));

            assertThat(f.pooled().getShape().get(1)).isEqualTo(net.numFeatures());
            assertThat(f.logits().getShape().get(1)).isEqualTo(net.numClasses());
            errors.forEach((key, err) -> assertThat(err).as(name + " " + key).isLessThanOrEqualTo(TOLERANCE));
        }
    }
}
