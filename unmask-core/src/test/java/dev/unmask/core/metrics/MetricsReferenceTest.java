package dev.unmask.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Against the paper's own Python: sklearn's roc_curve / roc_auc_score / average_precision_score
 * and the brentq + interp1d EER, run by sklearn_reference.py (next to the JSON in test
 * resources) on the same inputs. The EER threshold is only reproducible with the exact solver
 * steps, so this is the test that pins them.
 */
class MetricsReferenceTest {
    static List<JsonNode> cases() throws IOException {
        try (InputStream in = MetricsReferenceTest.class.getResourceAsStream("sklearn_reference.json")) {
            JsonNode root = StrictJson.parse(in.readAllBytes(), "sklearn_reference.json");
            List<JsonNode> out = new ArrayList<>();
            root.get("cases").forEach(out::add);
            return out;
        }
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("cases")
    void matchesSklearnAndScipy(JsonNode c) {
        double[] scores = doubles(c.get("scores"));
        boolean[] fake = new boolean[scores.length];
        for (int i = 0; i < fake.length; i++) {
            fake[i] = c.get("labels").get(i).asInt() == 1;
        }
        Roc roc = Roc.of(scores, fake);
        // the curve itself: same points, same order, same thresholds (all exact ratios of counts)
        assertThat(roc.fpr()).containsExactly(doubles(c.get("fpr")));
        assertThat(roc.tpr()).containsExactly(doubles(c.get("tpr")));
        double[] thr = roc.thresholds();
        assertThat(thr[0]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(java.util.Arrays.copyOfRange(thr, 1, thr.length)).containsExactly(doubles(c.get("thresholds_after_inf")));

        double threshold = c.get("threshold").asDouble();
        BinaryMetrics m = BinaryMetrics.compute(scores, fake, threshold);
        assertThat(m.auc()).isCloseTo(c.get("auc").asDouble(), within(1e-12));
        assertThat(m.ap()).isCloseTo(c.get("ap").asDouble(), within(1e-12));
        assertThat(m.eer()).isCloseTo(c.get("eer").asDouble(), within(1e-13));
        JsonNode t = c.get("eer_threshold");
        if (t.isNull()) {
            // scipy's answer is +inf (EER on the segment leaving the +inf threshold): clamped to the top score
            assertThat(m.eerThreshold()).isEqualTo(thr[1]);
            assertThat(roc.eer().thresholdClamped()).isTrue();
        } else {
            assertThat(m.eerThreshold()).isCloseTo(t.asDouble(), within(1e-12));
            assertThat(roc.eer().thresholdClamped()).isFalse();
        }
        assertThat(m.tprAtFpr1pct()).isCloseTo(c.get("tpr_at_fpr_1pct").asDouble(), within(1e-15));
        assertThat(m.ece()).isCloseTo(c.get("ece").asDouble(), within(1e-12));
        assertThat(m.acc()).isCloseTo(c.get("acc").asDouble(), within(1e-15));
        assertThat(m.hter()).isCloseTo(c.get("hter").asDouble(), within(1e-15));
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
