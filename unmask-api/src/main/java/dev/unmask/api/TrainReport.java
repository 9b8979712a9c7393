package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * What a training run made: the detector, the epoch kept (best validation EER), the validation
 * metrics and threshold stored in it, the per-epoch history, the images that could not be read.
 * {@code cropContract} is the file the detector's crop contract came from (given, or the
 * extraction's settings next to the training list), or null when it has none.
 * It is {@code unmask train --json} (schema {@code docs/schema/train-report.schema.json}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "detector", "best_epoch", "epochs_run", "stopped_early", "threshold", "validation", "history", "skipped",
    "log", "crop_contract"})
public record TrainReport(int schemaVersion, String detector, int bestEpoch, int epochsRun, boolean stoppedEarly, double threshold,
        Validation validation, List<Epoch> history, List<String> skipped, String log, String cropContract) {

    /** The kept epoch's validation metrics (threshold at its EER). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Validation(double auc, double eer, double acc) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Epoch(int epoch, double trainLoss, double valLoss, double valAuc, double valEer, double valAcc, double seconds) {}
}
