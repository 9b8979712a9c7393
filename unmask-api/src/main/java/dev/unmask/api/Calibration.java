package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.BinaryMetrics;
import dev.unmask.core.metrics.VideoAggregation;
import dev.unmask.core.train.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A detector's decision threshold chosen on the user's own labelled data: the list's crops are
 * scored, the threshold is set at the validation EER point (as training sets it on its validation
 * list), and a new detector file is written with it and with what chose it in its provenance. A
 * detector imported from elsewhere starts at 0.5; one trained on other data keeps that data's
 * threshold until calibrated. Works for any detector: a GenD detector folder gives a new folder, its files
 * hard-linked (copied across file systems) with the threshold and its record in a small sidecar file.
 *
 * <p>It is {@code unmask calibrate --json}.
 *
 * @param before    the threshold the detector had
 * @param threshold the new one: the score at the EER of the calibration list
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "detector", "out", "list", "list_sha256", "items", "real", "fake", "before", "threshold", "eer", "auc"})
public record Calibration(int schemaVersion, String detector, String out, String list, String listSha256, int items, long real, long fake,
        double before, double threshold, double eer, double auc) {

    public static final String RULE = "score at the EER of the calibration list (unmask calibrate; ROC as scikit-learn, EER as the paper's"
            + " interpolation)";

    /**
     * Scores {@code list} (crops under {@code root}) with the detector and writes {@code out}, a
     * copy of the detector with the threshold at the list's EER. {@code out} must not exist.
     */
    public static Calibration run(Path detectorFile, Path backbone, Path list, Path root, boolean allowLinksOutsideRoot, Path out,
                                  Progress progress) {
        if (Files.exists(out)) {
            throw new UserError(out + ": exists; --out names the new detector file to write (the calibrated copy)");
        }
        boolean genD = dev.unmask.core.detector.Detector.isGenDFolder(detectorFile);
        if (genD && out.getFileName() != null && out.getFileName().toString().endsWith(".unmask")) {
            throw new UserError("--out names a folder for a GenD detector (its files linked, plus the new threshold in "
                    + dev.unmask.core.detector.GenDSource.CALIBRATION + "), not a .unmask file (got " + out + ")");
        }
        if (!genD && (out.getFileName() == null || !out.getFileName().toString().endsWith(".unmask"))) {
            throw new UserError("--out should name a file ending in .unmask (got " + out + ")");
        }
        EvalReport scored = Evaluation.run(detectorFile, backbone, List.of(list), root, allowLinksOutsideRoot, VideoAggregation.MEAN, 0, 0, progress);
        List<EvalReport.Scored> items = scored.scores();
        double[] scores = items.stream().mapToDouble(EvalReport.Scored::score).toArray();
        boolean[] fake = new boolean[scores.length];
        long nFake = 0;
        for (int i = 0; i < scores.length; i++) {
            fake[i] = items.get(i).label() > 0;
            nFake += fake[i] ? 1 : 0;
        }
        if (nFake == 0 || nFake == scores.length) {
            throw new UserError(list + ": calibration needs real and fake items (has " + (scores.length - nFake) + " real, " + nFake + " fake)");
        }
        BinaryMetrics m = BinaryMetrics.compute(scores, fake, scored.detector().threshold());
        String listSha256 = Hashing.sha256(list);
        ObjectNode record = StrictJson.mapper().createObjectNode();
        record.put("list", list.toAbsolutePath().toString());
        record.put("list_sha256", listSha256);
        record.put("items", scores.length);
        record.put("real", scores.length - nFake);
        record.put("fake", nFake);
        record.put("threshold_before", scored.detector().threshold());
        record.put("eer", m.eer());
        record.put("auc", m.auc());
        record.put("source_detector", detectorFile.toAbsolutePath().toString());
        // A GenD folder is named by its weights' hash: the threshold belongs to them.
        record.put("source_sha256", genD ? scored.detector().backboneSha256() : Hashing.sha256(detectorFile));
        record.put("date", Instant.now().toString());
        try {
            if (genD) {
                dev.unmask.core.detector.Detector.genDWithThreshold(detectorFile, out, m.eerThreshold(), RULE, record);
            } else {
                dev.unmask.core.detector.Detector.withThreshold(detectorFile, out, m.eerThreshold(), RULE, record);
            }
        } catch (IOException e) {
            throw new UserError(out + ": cannot write (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        return new Calibration(Unmask.SCHEMA_VERSION, detectorFile.toAbsolutePath().toString(), out.toAbsolutePath().toString(),
                list.toAbsolutePath().toString(), listSha256, scores.length, scores.length - nFake, nFake,
                scored.detector().threshold(), m.eerThreshold(), m.eer(), m.auc());
    }
}
