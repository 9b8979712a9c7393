package dev.unmask.core.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The training log a detector carries: bounded, ordered, finite, read back as written. */
class TrainingLogTest {

    static String entry(int epoch, String trainLoss) {
        return "{\"epoch\": " + epoch + ", \"train_loss\": " + trainLoss + ", \"val_loss\": 0.6, \"val_auc\": 0.7, \"val_eer\": 0.3,"
                + " \"val_acc\": 0.65, \"seconds\": 1.5}";
    }

    static List<TrainingLog.Epoch> parse(String log) {
        return TrainingLog.of(StrictJson.parse("{\"training_log\": " + log + "}", "m"), "m");
    }

    @Test
    void aLogIsReadBackAsWrittenAndAnOlderFileWithoutOneHasAnEmptyLog() {
        List<TrainingLog.Epoch> log = parse("[" + entry(1, "0.69") + ", " + entry(3, "0.5") + "]");
        assertThat(log).containsExactly(new TrainingLog.Epoch(1, 0.69, 0.6, 0.7, 0.3, 0.65, 1.5),
                new TrainingLog.Epoch(3, 0.5, 0.6, 0.7, 0.3, 0.65, 1.5));
        assertThat(TrainingLog.of(StrictJson.parse("{}", "m"), "m")).isEmpty();
    }

    @Test
    void longRunsAreThinnedEvenlyKeepingTheFirstAndLastEpoch() {
        List<Integer> all = IntStream.rangeClosed(1, 2500).boxed().toList();
        List<Integer> kept = TrainingLog.thin(all, TrainingLog.MAX_EPOCHS);
        assertThat(kept).hasSize(TrainingLog.MAX_EPOCHS).startsWith(1).endsWith(2500).isSorted().doesNotHaveDuplicates();
        assertThat(TrainingLog.thin(all.subList(0, 10), TrainingLog.MAX_EPOCHS)).isEqualTo(all.subList(0, 10));
    }

    @Test
    void untrustedLogsAreRefusedWithAOneLineMessage() {
        StringBuilder tooLong = new StringBuilder("[");
        for (int e = 1; e <= TrainingLog.MAX_EPOCHS + 1; e++) {
            tooLong.append(e > 1 ? "," : "").append(entry(e, "0.5"));
        }
        String[] bad = {"{}", "[1, 2]", "[" + entry(2, "0.5") + ", " + entry(2, "0.4") + "]", "[" + entry(0, "0.5") + "]",
            "[" + entry(1, "\"low\"") + "]", "[" + entry(1, "1e400") + "]", "[{\"epoch\": 1}]", tooLong.append("]").toString()};
        for (String b : bad) {
            assertThatThrownBy(() -> parse(b)).as(b.length() > 80 ? b.substring(0, 80) : b).isInstanceOf(UserError.class)
                    .hasMessageStartingWith("m.training_log").hasMessageNotContaining("\n");
        }
    }
}
