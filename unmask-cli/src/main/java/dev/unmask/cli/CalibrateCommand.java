package dev.unmask.cli;

import dev.unmask.api.Calibration;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.train.Progress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask calibrate}: a detector's threshold set on the user's own labelled crops. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Write a copy of a detector whose stored threshold is the EER point of your own labelled face crops,"
                + " recorded in its provenance (list, its SHA-256, counts, EER, AUC, the threshold before). Works for any detector;"
                + " an imported one starts at 0.5. A GenD detector gives a new folder that detect, eval and serve take as --detector.",
            "The list is a datalist (relative_path,label under --root; 0 real, >=1 fake) or a folder with real/ and fake/; it needs both."})
final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--detector", required = true, paramLabel = "D", converter = DetectorArgument.class,
            description = "The detector to calibrate (not changed): a detector file, or a GenD detector's folder, name or Hub repo once pulled.")
    String detector;

    @Option(names = "--val", required = true, paramLabel = "LIST|DIR", description = "Labelled face crops the threshold is chosen on.")
    Path val;

    @Option(names = "--root", paramLabel = "DIR", description = "Folder the list paths are relative to.")
    Path root;

    @Option(names = "--out", required = true, paramLabel = "NEW", description = "The calibrated detector to write (must not exist): a NEW.unmask"
            + " file, or for a GenD detector a folder (its files hard-linked, the new threshold in unmask-calibration.json).")
    Path out;

    @Option(names = "--backbone", paramLabel = "DIR", description = "Backbone folder, when not where the detector was trained (its SHA-256 must match).")
    Path backbone;

    @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of --root (or the data folder).")
    boolean allowLinksOutsideRoot;

    @Option(names = "--json", description = "Print the calibration as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Progress progress = Progress.console(spec.commandLine().getErr(), System.console() != null);
        Calibration c = Calibration.run(DetectorArgument.resolve(detector), backbone, val, root, allowLinksOutsideRoot, out, progress);
        var o = spec.commandLine().getOut();
        if (json) {
            o.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(c));
        } else {
            o.printf(Locale.ROOT, "calibrated %s: threshold %.6f -> %.6f (EER %.4f, AUC %.4f on %d items: %d real, %d fake)%n", c.out(), c.before(),
                    c.threshold(), c.eer(), c.auc(), c.items(), c.real(), c.fake());
        }
        o.flush();
        return 0;
    }
}
