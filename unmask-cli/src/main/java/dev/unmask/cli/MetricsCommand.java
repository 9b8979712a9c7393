package dev.unmask.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.BinaryMetrics;
import dev.unmask.core.metrics.MetricsReport;
import dev.unmask.core.metrics.ScoresCsv;
import dev.unmask.core.metrics.VideoAggregation;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
        name = "metrics",
        mixinStandardHelpOptions = true,
        description = {
            "Compute detection metrics for any scores file, so other tools can be scored the same way.",
            "The file is CSV with a header path,label,score[,video] (any column order): label 0 = real,"
                    + " 1 or more = fake; score = probability of fake in [0, 1]. With a video column,"
                    + " metrics are also given per video."
        })
final class MetricsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--scores", required = true, paramLabel = "FILE.csv", description = "Scores file (CSV).")
    Path scores;

    @Option(names = "--json", description = "Print JSON: objects 'frame' and, with videos, 'video'; rates as fractions.")
    boolean json;

    @Option(names = "--threshold", paramLabel = "T", defaultValue = "0.5",
            description = "Decision threshold for acc, hter, acc_real, acc_fake: score >= T is fake (default: ${DEFAULT-VALUE}).")
    double threshold = BinaryMetrics.DEFAULT_THRESHOLD;

    @Option(names = "--video-agg", paramLabel = "mean|median|max",
            description = "How frame probabilities make a video probability (default: mean). Needs a video column.")
    String videoAgg;

    @Option(names = "--bootstrap", paramLabel = "N", defaultValue = "0",
            description = "Bootstrap replicates for 95%% confidence intervals of auc, eer, hter, acc; videos are resampled when known (default: none).")
    int bootstrap;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the bootstrap (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        VideoAggregation aggregation = videoAgg == null ? VideoAggregation.MEAN : VideoAggregation.parse(videoAgg);
        MetricsReport.Options options = new MetricsReport.Options(threshold, aggregation, bootstrap, seed);
        ScoresCsv csv = ScoresCsv.read(scores);
        if (videoAgg != null && !csv.hasVideo()) {
            throw new UserError(scores + ": --video-agg needs a 'video' column, and this file has none");
        }
        MetricsReport report;
        try {
            report = MetricsReport.compute(csv, options);
        } catch (UserError e) {
            // core messages do not know the file; name it so the user knows which input is wrong
            throw new UserError(scores + ": " + e.getMessage(), e);
        }
        var out = spec.commandLine().getOut();
        if (json) {
            ObjectNode root = report.toJson();
            try {
                out.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println("scores: " + scores + (csv.hasVideo() ? " (" + csv.videoCount() + " videos" + (csv.videoIdsWithBothLabels() > 0
                    ? ", " + csv.videoIdsWithBothLabels() + " of their ids holding real and fake items, each counted as two videos" : "") + ")"
                    : ""));
            out.print(report.toTable());
        }
        out.flush();
        return 0;
    }
}
