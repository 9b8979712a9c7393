package dev.unmask.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.Progress;
import dev.unmask.core.vit.ViTConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask bench train}: training epochs with the feature / prefix caches against recomputing ({@link TrainingBenchmark}). */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure training epochs with the feature / frozen-prefix cache against recomputing the frozen blocks every batch"
                + " (by default ViT-S/14 with random weights, 64 synthetic images, the probe and finetune with k = 1 and 4; ConvNets"
                + " too: the probe on pooled features, finetune over the last k units, a unit being a stage or the head conv).")
final class BenchTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backbone", defaultValue = "dinov2_vits14", paramLabel = "NAME[@SIDE]",
            description = "One of " + BenchBackbones.NAMES + " (random weights of the real size); NAME@SIDE sets another input side."
                    + " Default: ${DEFAULT-VALUE}.")
    String backbone;

    @Option(names = "--size", defaultValue = "224", paramLabel = "PX", description = "Input side unless NAME@SIDE. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--images", defaultValue = "64", paramLabel = "N",
            description = "Synthetic training images (validation: a quarter as many, at least 4). Default: ${DEFAULT-VALUE}.")
    int images;

    @Option(names = "--blocks", split = ",", defaultValue = "1,4", paramLabel = "K",
            description = "The k values of Approach 2 (last k units trained: ViT blocks; ConvNet stages, the head conv counting as"
                    + " the last). Default: ${DEFAULT-VALUE}.")
    List<Integer> blocks;

    @Option(names = "--features", paramLabel = "VARIANT",
            description = "The probe's feature variant. Default: cls_concat_4 for a ViT, pooled for a ConvNet.")
    String features;

    @Option(names = "--epochs", defaultValue = "2", paramLabel = "N",
            description = "Epochs measured with the cache and recomputing, alternately (medians are reported). Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch", paramLabel = "N", description = "Training batch. Default: the paper's, 256 for the probe, 128 for finetune.")
    Integer batch;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    int run(PrintWriter out, PrintWriter err) {
        BenchBackbones.Choice choice = BenchBackbones.parse(backbone, size);
        String name = choice.name();
        int side = choice.side();
        boolean vit = choice.vit();
        if (images < 2 || images > 100_000) {
            throw new UserError("--images must be between 2 and 100000");
        }
        if (epochs < 1 || epochs > 1000) {
            throw new UserError("--epochs must be between 1 and 1000");
        }
        if (batch != null && (batch < 1 || batch > 65_536)) {
            throw new UserError("--batch must be between 1 and 65536 (default: the paper's, 256 probe, 128 finetune)");
        }
        List<String> units;
        String unitNote;
        // The k of Approach 2 needs something frozen before it to cache: a ViT keeps its patch
        // embedding only, so k stops one short of its depth; a ConvNet's stem is never trained.
        int maxBlocks;
        if (vit) {
            if (side < 14 || side > 1022 || side % 14 != 0) {
                throw new UserError("input side " + side + " must be a multiple of 14 between 14 and 1022");
            }
            ViTConfig cfg = choice.vitConfig();
            units = java.util.stream.IntStream.range(0, cfg.depth()).mapToObj(i -> "blocks." + i).toList();
            unitNote = "a unit (k) is one transformer block, " + cfg.depth() + " in all; frozen before them: the patch embedding and the"
                    + " blocks not trained";
            maxBlocks = cfg.depth() - 1;
        } else {
            int min;
            try (NDManager m = NDManager.newBaseManager();
                 ConvNet net = ConvNets.random(BenchBackbones.CONVNETS.get(name), BenchBackbones.convNetConfig(name), m)) {
                units = net.unitNames();
                min = net.minimumInputSize();
            }
            if (side < min || side > 1024) {
                throw new UserError("input side " + side + " for " + name + " must be between " + min + " and 1024");
            }
            unitNote = "a unit (k) is one stage of blocks (" + units.get(0) + " ... " + units.get(units.size() - 2) + ") or, last, the head"
                    + " convolution " + units.get(units.size() - 1) + ", counted from the end, " + units.size() + " in all; the stem is always"
                    + " frozen";
            maxBlocks = units.size();
        }
        for (int k : blocks) {
            if (k < 1 || k > maxBlocks) {
                throw new UserError("--blocks values must be between 1 and " + maxBlocks + " for " + name
                        + (vit ? " (with k = " + units.size() + " nothing is frozen, so there is nothing to cache)"
                        : " (" + String.join(", ", units) + ")"));
            }
        }
        FeatureVariant probe = features != null ? FeatureVariant.parse(features) : vit ? FeatureVariant.parse("cls_concat_4") : FeatureVariant.POOLED;
        if (probe.forConvNets() == vit) {
            throw new UserError("--features " + probe + (vit ? " is for ConvNets; a ViT's probe reads tokens, e.g. cls_concat_4"
                    : " reads ViT tokens; a ConvNet's probe reads " + FeatureVariant.POOLED + " (its last map, global-average-pooled)"));
        }
        TrainingBenchmark.Plan plan = new TrainingBenchmark.Plan(name, units, unitNote, side, images, probe, List.copyOf(blocks), batch, epochs);
        double loadBefore = loadAverage();
        long t0 = System.nanoTime();
        List<TrainingBenchmark.Row> rows = TrainingBenchmark.run(plan, Progress.console(err, System.console() != null));
        double wall = (System.nanoTime() - t0) / 1e9;
        double loadAfter = loadAverage();
        int val = Math.max(4, images / TrainingBenchmark.VAL_DIVISOR);
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        String timed = "an epoch is every training step plus the validation pass, as train logs it, without the checkpoint written"
                + " after it; epochs with the cache and recomputing alternate; the cache fill is timed apart; an untimed run warms up first";
        if (json) {
            ObjectNode report = StrictJson.mapper().createObjectNode();
            report.put("model", name).put("size", side).put("train_images", images).put("val_images", val).put("epochs", epochs);
            report.put("threads", threads).put("cores", Runtime.getRuntime().availableProcessors());
            report.put("load_average_before", loadBefore).put("load_average_after", loadAfter).put("wall_s", wall);
            report.put("timed", timed);
            report.put("unit", unitNote);
            ArrayNode a = report.putArray("results");
            rows.forEach(r -> a.add(TrainingBenchmark.json(plan, r)));
            out.println(report.toPrettyString());
        } else {
            out.printf(Locale.ROOT, "training %s at %d px: %d train + %d validation images, %d epoch(s) each way, %d threads,"
                    + " load average %.2f before, %.2f after%n", name, side, images, val, epochs, threads, loadBefore, loadAfter);
            out.println("(" + timed + "; medians over the epochs)");
            out.println("(" + unitNote + ")");
            out.printf(Locale.ROOT, "%-27s %5s %11s %11s %13s %13s %9s %9s  %s%n", "approach", "batch", "cache fill", "1st epoch",
                    "epoch, cache", "recomputing", "speed-up", "(CPU)", "target");
            for (TrainingBenchmark.Row r : rows) {
                String target = r.approach() == Approach.PROBE
                        ? String.format(Locale.ROOT, "later/first %.2f %% (< 2 %%)", 100 * r.cachedEpoch() / r.firstEpoch())
                        : TrainingBenchmark.hasSpeedupTarget(plan, r) ? "speed-up >= 4" : "";
                String cpu = Double.isNaN(r.speedupCpu()) ? "-" : String.format(Locale.ROOT, "%.1fx", r.speedupCpu());
                out.printf(Locale.ROOT, "%-27s %5d %9.3f s %9.3f s %11.3f s %11.3f s %8.1fx %9s  %s%n", r.label(), r.batch(),
                        r.cacheFill(), r.firstEpoch(), r.cachedEpoch(), r.recomputedEpoch(), r.speedup(), cpu, target);
            }
            out.printf(Locale.ROOT, "(%.0f s in all)%n", wall);
        }
        out.flush();
        return 0;
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
