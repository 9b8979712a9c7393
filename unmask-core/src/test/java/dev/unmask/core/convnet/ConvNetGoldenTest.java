package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.checkpoint.SafeTensors;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ConvNet families against timm 0.9.12 (golden cases made by running timm on random weights):
 * pooled features and logits within 1e-4 relative, and every stage output (spatial mean per
 * channel) too, which pins down what a "stage" is. Every ConvNet case under the golden root runs.
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

    static List<String> cases() {
        return Golden.cases(Golden.Family.CONVNET);
    }

    @ParameterizedTest(name = "{0} matches timm")
    @MethodSource("cases")
    void matchesTimm(String name) {
        GoldenCase golden = new GoldenCase(name);
        assertMatchesTimm(name, stageKeys(golden.expected));
    }

    /**
     * The per-stage keys of a case, in stage order: the reference names them after its own modules
     * ({@code stage0_out_mean}… for EfficientNets, {@code block1_out_mean}… for Xception), so the
     * largest numbered {@code <name>N_out_mean} family is the stage list.
     */
    static List<String> stageKeys(JsonNode expected) {
        Map<String, TreeMap<Integer, String>> families = new TreeMap<>();
        expected.fieldNames().forEachRemaining(k -> {
            Matcher m = STAGE_KEY.matcher(k);
            if (m.matches()) {
                families.computeIfAbsent(m.group(1), x -> new TreeMap<>()).put(Integer.parseInt(m.group(2)), k);
            }
        });
        return families.values().stream().max(Comparator.comparingInt(Map::size))
                .map(f -> List.copyOf(f.values())).orElse(List.of());
    }

    private static final Pattern STAGE_KEY = Pattern.compile("([a-z]+)(\\d+)_out_mean");

    private static void assertMatchesTimm(String name, List<String> stageKeys) {
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
            assertThat(stageKeys).as(name + ": expected.json's per-stage keys").hasSize(net.numStages());
            for (int i = 0; i < stageMeans.size(); i++) {
                String key = stageKeys.get(i);
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
