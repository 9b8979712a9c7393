package dev.unmask.core.detector;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-epoch training log a detector file carries ({@code "training_log"} in its manifest), so
 * that its training curves can be drawn from the file alone. The manifest is untrusted input:
 * the log is bounded to {@link #MAX_EPOCHS} entries, each with finite numbers.
 */
public final class TrainingLog {
    /** Longer runs keep this many epochs, evenly spaced, the last always among them. */
    public static final int MAX_EPOCHS = 1000;

    /** One epoch: mean training loss, validation loss, AUC, EER and accuracy at 0.5, wall seconds. */
    public record Epoch(int epoch, double trainLoss, double valLoss, double valAuc, double valEer, double valAcc, double seconds) {}

    private TrainingLog() {}

    /** At most {@code max} entries of {@code all}, evenly spaced, keeping the first and the last. */
    public static <T> List<T> thin(List<T> all, int max) {
        if (all.size() <= max) {
            return List.copyOf(all);
        }
        List<T> out = new ArrayList<>(max);
        for (int i = 0; i < max; i++) {
            out.add(all.get((int) Math.round((double) i * (all.size() - 1) / (max - 1))));
        }
        return out;
    }

    /**
     * The log of a manifest; empty when the detector was written without one.
     *
     * @param where names the manifest in error messages
     */
    public static List<Epoch> of(JsonNode manifest, String where) {
        JsonNode log = manifest.get("training_log");
        if (log == null) {
            return List.of();
        }
        String w = where + ".training_log";
        if (!log.isArray()) {
            throw new UserError(w + " must be an array");
        }
        if (log.size() > MAX_EPOCHS) {
            throw new UserError(w + " has " + log.size() + " entries, more than " + MAX_EPOCHS);
        }
        List<Epoch> out = new ArrayList<>(log.size());
        int previous = 0;
        for (JsonNode e : log) {
            if (!e.isObject()) {
                throw new UserError(w + ": every entry must be an object");
            }
            JsonNode n = e.get("epoch");
            if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= previous) {
                throw new UserError(w + ": \"epoch\" must be whole numbers in increasing order from 1");
            }
            previous = n.asInt();
            out.add(new Epoch(previous, number(e, "train_loss", w), number(e, "val_loss", w), number(e, "val_auc", w),
                    number(e, "val_eer", w), number(e, "val_acc", w), number(e, "seconds", w)));
        }
        return List.copyOf(out);
    }

    private static double number(JsonNode e, String key, String where) {
        JsonNode v = e.get(key);
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new UserError(where + ": \"" + key + "\" must be a finite number in every entry");
        }
        return v.asDouble();
    }
}
