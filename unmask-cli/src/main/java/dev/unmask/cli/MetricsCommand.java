package dev.unmask.cli;

import dev.unmask.api.ScoreMetrics;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.BinaryMetrics;
import dev.unmask.core.metrics.VideoAggregation;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;


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
    public Integer call() throws Exception {
        ScoreMetrics report = ScoreMetrics.of(scores, threshold, videoAgg == null ? null : VideoAggregation.parse(videoAgg), bootstrap, seed);
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            out.println("scores: " + scores + (report.video() != null ? " (" + report.videos() + " videos" + (report.videoIdsWithBothLabels() > 0
                    ? ", " + report.videoIdsWithBothLabels() + " of their ids holding real and fake items, each counted as two videos" : "") + ")"
                    : ""));
            out.print(report.table());
        }
        out.flush();
        return 0;
    }
}
