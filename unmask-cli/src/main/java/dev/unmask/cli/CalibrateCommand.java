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
                + " an imported one starts at 0.5.",
            "The list is a datalist (relative_path,label under --root; 0 real, >=1 fake) or a folder with real/ and fake/; it needs both."})
final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--detector", required = true, paramLabel = "D.unmask", description = "The detector to calibrate (not changed).")
    Path detector;

    @Option(names = "--val", required = true, paramLabel = "LIST|DIR", description = "Labelled face crops the threshold is chosen on.")
    Path val;

    @Option(names = "--root", paramLabel = "DIR", description = "Folder the list paths are relative to.")
    Path root;

    @Option(names = "--out", required = true, paramLabel = "NEW.unmask", description = "The calibrated detector file to write (must not exist).")
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
        Calibration c = Calibration.run(detector, backbone, val, root, allowLinksOutsideRoot, out, progress);
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
