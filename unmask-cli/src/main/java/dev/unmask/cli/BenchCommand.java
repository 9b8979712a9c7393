package dev.unmask.cli;

import dev.unmask.core.UserError;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unmask bench}: the benchmarks, one subcommand each. Plain {@code bench} is
 * {@code bench forward}. The hidden options keep the form from before the subcommands working:
 * {@code bench [--detect | --train] [--models ...] ...}, each routed to its subcommand.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure speed: forward (backbone throughput against the machine's matmul ceiling), detect (detect's stages on one"
                + " video), train (training epochs with and without the feature / prefix caches), startup (where a cold start's time goes) or batch (detect against unmask batch score on Spark). Without a subcommand: forward,"
                + " with its defaults.", "Results and how to read them: docs/BENCHMARKS.md."},
        subcommands = {BenchForwardCommand.class, BenchDetectCommand.class, BenchTrainCommand.class, BenchStartupCommand.class,
                BenchBatchCommand.class})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    // The form from before the subcommands, hidden; each option means what it meant then.
    @Option(names = "--detect", hidden = true, description = "Old form of bench detect.")
    boolean detect;

    @Option(names = "--train", hidden = true, description = "Old form of bench train.")
    boolean train;

    @Option(names = {"--models", "--backbone"}, split = ",", hidden = true, description = "Old name of --backbone.")
    List<String> models;

    @Option(names = "--batch", split = ",", hidden = true)
    List<Integer> batches;

    @Option(names = "--size", hidden = true)
    Integer size;

    @Option(names = "--seconds", hidden = true)
    Double seconds;

    @Option(names = "--profile", hidden = true)
    boolean profile;

    @Option(names = "--json", hidden = true)
    boolean json;

    @Option(names = "--video", hidden = true)
    Path video;

    @Option(names = "--detector", hidden = true)
    Path detector;

    @Option(names = "--frames", hidden = true)
    Integer frames;

    @Option(names = "--repeat", hidden = true)
    Integer repeat;

    @Option(names = "--images", hidden = true)
    Integer images;

    @Option(names = "--blocks", split = ",", hidden = true)
    List<Integer> blocks;

    @Option(names = "--features", hidden = true)
    String features;

    @Option(names = "--epochs", hidden = true)
    Integer epochs;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (detect && train) {
            throw new UserError("--detect and --train are separate benchmarks; choose one (bench detect, bench train)");
        }
        if (detect) {
            BenchDetectCommand d = withDefaults("detect");
            d.video = video;
            d.detector = detector;
            if (frames != null) {
                d.frames = frames;
            }
            if (repeat != null) {
                d.repeat = repeat;
            }
            // As before: one --batch value is the batch, a list (the throughput default) is not.
            if (batches != null && batches.size() == 1) {
                d.batch = batches.get(0);
            }
            d.json = json;
            return d.run(out, err);
        }
        if (train) {
            BenchTrainCommand t = withDefaults("train");
            if (models != null) {
                if (models.size() != 1) {
                    throw new UserError("--train measures one backbone at a time; give one of " + BenchBackbones.NAMES + " to --models");
                }
                t.backbone = models.get(0);
            }
            if (batches != null) {
                if (batches.size() != 1) {
                    throw new UserError("--train takes one --batch value, between 1 and 65536 (default: the paper's, 256 probe, 128 finetune)");
                }
                t.batch = batches.get(0);
            }
            if (size != null) {
                t.size = size;
            }
            if (images != null) {
                t.images = images;
            }
            if (blocks != null) {
                t.blocks = blocks;
            }
            t.features = features;
            if (epochs != null) {
                t.epochs = epochs;
            }
            t.json = json;
            return t.run(out, err);
        }
        BenchForwardCommand f = withDefaults("forward");
        if (models != null) {
            f.backbones = models;
        }
        if (batches != null) {
            f.batches = batches;
        }
        if (size != null) {
            f.size = size;
        }
        if (seconds != null) {
            f.seconds = seconds;
        }
        f.profile = profile;
        f.json = json;
        return f.run(out, err);
    }

    /** The subcommand's object with its declared defaults, as picocli sets them when it runs alone. */
    private <T> T withDefaults(String name) {
        CommandLine sub = spec.commandLine().getSubcommands().get(name);
        sub.parseArgs();
        return sub.getCommand();
    }
}
