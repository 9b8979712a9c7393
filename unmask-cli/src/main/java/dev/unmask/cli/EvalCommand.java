package dev.unmask.cli;

import dev.unmask.api.EvalReport;
import dev.unmask.api.Evaluation;
import dev.unmask.core.UserError;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.Csv;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.VideoAggregation;
import dev.unmask.core.metrics.VideoKeys;
import dev.unmask.core.train.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;


/** {@code unmask eval}: a detector on test lists, with the threshold it chose on validation data. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score test lists with a detector and write scores.csv, metrics.json, roc.png, histogram.png and training.png"
                + " (the training curves stored in the detector).",
            "Several --test lists are pooled (as the authors' test_multiple_datalist) and also reported one by one;"
                    + " with manipulation ids, each method is reported against all real items.",
            "acc/hter use the threshold stored in the detector (chosen at the validation EER), never the test set's own."})
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--detector", required = true, paramLabel = "D", converter = DetectorArgument.class,
            description = "Detector file written by unmask train, or a GenD detector: its folder, or its name or Hub repo once pulled.")
    String detector;

    @Option(names = "--test", required = true, paramLabel = "LIST|DIR", description = "Test list (repeatable).")
    List<Path> tests;

    @Option(names = "--root", paramLabel = "DIR", description = "Folder the list paths are relative to.")
    Path root;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for scores.csv and metrics.json.")
    Path out;

    @Option(names = "--backbone", paramLabel = "DIR", description = "Backbone folder, when not where the detector was trained (its SHA-256 must match).")
    Path backbone;

    @Option(names = "--video-agg", defaultValue = "mean", paramLabel = "mean|median|max", description = "Video score from frame scores. Default: ${DEFAULT-VALUE}.")
    String videoAgg;

    @Option(names = "--bootstrap", defaultValue = "0", paramLabel = "N", description = "Bootstrap replicates for 95%% intervals (default: none).")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Bootstrap seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of --root (or the data folder);"
            + " without it such an item is refused, as a path with .. is.")
    boolean allowLinksOutsideRoot;

    @Option(names = "--json", description = "Print the metrics (metrics.json's content) as JSON instead of the summary lines.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserError(out + " is a file; --out names a folder");
        }
        VideoAggregation aggregation = VideoAggregation.parse(videoAgg);
        Progress progress = Progress.console(spec.commandLine().getErr(), System.console() != null);
        EvalReport report = Evaluation.run(DetectorArgument.resolve(detector), backbone, tests, root, allowLinksOutsideRoot, aggregation, bootstrap, seed, progress);
        try {
            Files.createDirectories(out);
            AtomicFiles.writeString(out.resolve("scores.csv"), scoresCsv(report.scores()));
            AtomicFiles.writeString(out.resolve("metrics.json"), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
            EvalPlots.write(out, report.scores());
            EvalPlots.writeTraining(out, report.trainingLog());
        } catch (IOException e) {
            throw new UserError(out + ": cannot write results (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        var o = spec.commandLine().getOut();
        if (json) {
            o.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
            o.flush();
            return 0;
        }
        var f = report.pooled().path("frame");
        double threshold = report.detector().threshold();
        o.printf(Locale.ROOT, "scored     %d images%s%n", report.scores().size(), report.skipped().isEmpty() ? "" : ", skipped " + report.skipped().size());
        o.printf(Locale.ROOT, "frames     AUC %.4f, EER %.4f, at threshold %.6f: acc %.4f, HTER %.4f%n", f.path("auc").asDouble(),
                f.path("eer").asDouble(), threshold, f.path("acc").asDouble(), f.path("hter").asDouble());
        if (report.pooled().has("video")) {
            var v = report.pooled().path("video");
            o.printf(Locale.ROOT, "videos     AUC %.4f, EER %.4f, acc %.4f (video score: %s; %s)%n", v.path("auc").asDouble(),
                    v.path("eer").asDouble(), v.path("acc").asDouble(), aggregation.rule(), VideoKeys.RULE);
        }
        o.printf(Locale.ROOT, "written    %s, %s, %s, %s%n", out.resolve("scores.csv"), out.resolve("metrics.json"),
                out.resolve("roc.png"), out.resolve("histogram.png"));
        if (!report.trainingLog().isEmpty()) {
            o.printf(Locale.ROOT, "           %s (from the detector's log of %d epochs)%n", out.resolve(EvalPlots.TRAINING_PNG), report.trainingLog().size());
        }
        o.flush();
        return 0;
    }

    /** path,label,score,video — readable by {@code unmask metrics}; scores exact (the float widened to double). */
    static String scoresCsv(List<EvalReport.Scored> scored) {
        Csv.Table t = new Csv.Table("path", "label", "score", "video");
        for (EvalReport.Scored s : scored) {
            t.row(s.path(), Integer.toString(s.label()), Double.toString(s.score()), s.video());
        }
        return t.text();
    }
}
