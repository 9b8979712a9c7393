package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNetFeatures;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX files the test helper {@link OnnxExport} writes are our networks: ONNX Runtime's output
 * equals our forward pass on the same input within 1e-4, so {@code bench forward --onnx} compares
 * the same graph with the same weights. Small inputs keep it cheap; the graph does not depend on
 * the side beyond the position grid.
 */
class OnnxRuntimeParityTest {
    private static final int VIT_SIDE = 56;
    private static final int CONVNET_SIDE = 64;

    @TempDir
    static Path dir;

    @BeforeAll
    static void export() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            OnnxExport.write("dinov2_vits14", VIT_SIDE, dir.resolve("dinov2_vits14.onnx"), m);
            OnnxExport.write("efficientnet_b0", CONVNET_SIDE, dir.resolve("efficientnet_b0.onnx"), m);
        }
    }

    @Test
    void vitSmallMatchesOurForward() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                VisionTransformer vit = RandomWeights.vitModel(BenchBackbones.parse("dinov2_vits14", VIT_SIDE).vitConfig(), 1, m)) {
            NDArray x = m.randomNormal(new Shape(2, 3, VIT_SIDE, VIT_SIDE));
            float[] ours = vit.features(x, 1, false, false).tokens().toFloatArray();
            Map<String, float[]> theirs = runOrt(dir.resolve("dinov2_vits14.onnx"), x);
            assertThat(ours).hasSize(2 * 17 * 384);
            assertThat(maxAbsDiff(ours, theirs.get("tokens"))).isLessThanOrEqualTo(1e-4);
        }
    }

    @Test
    void efficientNetB0MatchesOurForwardFeaturesAndLogits() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                ConvNet net = ConvNets.random("efficientnet_b0", BenchBackbones.convNetConfig("efficientnet_b0"), m)) {
            NDArray x = m.randomNormal(new Shape(2, 3, CONVNET_SIDE, CONVNET_SIDE));
            ConvNetFeatures f = net.forward(x, 0);
            Map<String, float[]> theirs = runOrt(dir.resolve("efficientnet_b0.onnx"), x);
            assertThat(maxAbsDiff(f.pooled().toFloatArray(), theirs.get("pooled"))).isLessThanOrEqualTo(1e-4);
            assertThat(maxAbsDiff(f.logits().toFloatArray(), theirs.get("logits"))).isLessThanOrEqualTo(1e-4);
        }
    }

    /** The bench finds DIR/NAME.onnx, checks it is the same network, and prints ONNX Runtime's images/s and the ratio. */
    @Test
    void benchForwardComparesWithOnnxRuntimeInTheSameRun() throws Exception {
        CliRun r = CliRun.of("bench", "forward", "--backbone", "dinov2_vits14@" + VIT_SIDE + ",efficientnet_b0@" + CONVNET_SIDE,
                "--onnx", dir.toString(), "--batch", "1,2", "--seconds", "0", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("onnx_max_abs_diff").get("dinov2_vits14").asDouble()).isLessThanOrEqualTo(1e-4);
        assertThat(j.get("onnx_max_abs_diff").get("efficientnet_b0").asDouble()).isLessThanOrEqualTo(1e-4);
        JsonNode rows = j.get("results");
        assertThat(rows).hasSize(4);
        for (JsonNode row : rows) {
            double ours = row.get("images_per_s").asDouble();
            double onnx = row.get("onnx_images_per_s").asDouble();
            assertThat(onnx).isPositive();
            assertThat(row.get("ratio_to_onnx").asDouble()).isCloseTo(ours / onnx, org.assertj.core.data.Percentage.withPercentage(1e-6));
            assertThat(row.get("fraction_of_ceiling").asDouble())
                    .isCloseTo(row.get("gflops").asDouble() / row.get("ceiling_gflops").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-6));
        }

        // Without DIR/xception.onnx, xception is measured alone and the run says why.
        CliRun text = CliRun.of("bench", "forward", "--backbone", "efficientnet_b0@" + CONVNET_SIDE + ",xception@71", "--onnx", dir.toString(),
                "--batch", "1", "--seconds", "0");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("onnx img/s", "ratio", "efficientnet_b0: ONNX Runtime runs the same network",
                "xception: no " + dir.resolve("xception.onnx"));
        String xceptionRow = text.out().lines().filter(l -> l.startsWith("xception ")).findFirst().orElseThrow();
        assertThat(xceptionRow.trim().split("\\s+")).hasSize(8);
    }

    @Test
    void aFileForAnotherSizeOrAMissingDirectoryIsAOneLineError() {
        CliRun wrongSide = CliRun.of("bench", "forward", "--backbone", "efficientnet_b0@96", "--onnx", dir.toString(), "--batch", "1", "--seconds", "0");
        assertThat(wrongSide.exitCode()).isEqualTo(2);
        assertThat(wrongSide.err().strip()).contains("exported for 64 px input, not 96").doesNotContain("\n").doesNotContain("Exception");
        CliRun noDir = CliRun.of("bench", "forward", "--onnx", dir.resolve("absent").toString(), "--seconds", "0");
        assertThat(noDir.exitCode()).isEqualTo(2);
        assertThat(noDir.err().strip()).contains("no such directory").doesNotContain("\n");
    }

    private static Map<String, float[]> runOrt(Path file, NDArray x) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(file.toString(), o);
                    OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), x.getShape().getShape());
                    OrtSession.Result r = s.run(Map.of("images", in))) {
                Map<String, float[]> out = new java.util.HashMap<>();
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                    FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
                    float[] a = new float[b.remaining()];
                    b.get(a);
                    out.put(e.getKey(), a);
                }
                return out;
            }
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertThat(b).hasSameSizeAs(a);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
