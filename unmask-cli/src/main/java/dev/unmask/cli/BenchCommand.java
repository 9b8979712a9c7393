package dev.unmask.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.head.FeatureVariant;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.Progress;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unmask bench}: backbone throughput with random weights of the real sizes, next to the
 * machine's ceiling (a large float32 matmul through the same engine), so a number can be judged.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure backbone throughput (images/s, GFLOP/s) against the machine's matmul ceiling.",
            "With --detect: where detect's time goes on one video (decoding and sampling, face detection, the model) and its"
                    + " end-to-end time (by default a 10 s 720p H.264 clip and a ViT-S/14 detector with random weights).",
            "With --train: training epochs with the feature / frozen-prefix cache against recomputing the frozen blocks every batch"
                    + " (by default ViT-S/14 with random weights, 64 synthetic images, the probe and finetune with k = 1 and 4;"
                    + " ConvNets too: the probe on pooled features, finetune over the last k units, a unit being a stage or the head conv)."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--models", split = ",", defaultValue = "vits14,vitb14",
            description = "Backbones with random weights of the real sizes: vits14, vitb14 (DINOv2), effb0, effb4, xception;"
                    + " NAME@SIDE sets another input side. Default: ${DEFAULT-VALUE}.")
    List<String> models;

    @Option(names = "--batch", split = ",", defaultValue = "1,8,32", description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batches;

    @Option(names = "--size", defaultValue = "224", description = "Input side unless NAME@SIDE. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--seconds", defaultValue = "6", description = "Minimum measuring time per point. Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    @Option(names = "--profile", description = "Also show where the time goes: each op of one transformer block, or each part (stem, stages, head) of a ConvNet.")
    boolean profile;

    @Option(names = "--detect", description = "Benchmark detect's media path instead of backbone throughput.")
    boolean detect;

    @Option(names = "--video", paramLabel = "FILE", description = "--detect: the video (default: a 10 s 720p H.264 clip made with ffmpeg).")
    java.nio.file.Path video;

    @Option(names = "--detector", paramLabel = "D.unmask", description = "--detect: the detector (default: ViT-S/14, random weights).")
    java.nio.file.Path detector;

    @Option(names = "--frames", defaultValue = "32", paramLabel = "N", description = "--detect: frames sampled. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "N", description = "--detect: runs; medians are reported. Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(names = "--train", description = "Benchmark training epochs with and without the feature / prefix caches instead of throughput.")
    boolean train;

    @Option(names = "--images", defaultValue = "64", paramLabel = "N",
            description = "--train: synthetic training images (validation: a quarter as many, at least 4). Default: ${DEFAULT-VALUE}.")
    int images;

    @Option(names = "--blocks", split = ",", defaultValue = "1,4", paramLabel = "K",
            description = "--train: the k values of Approach 2 (last k units trained: ViT blocks; ConvNet stages, the head conv counting as"
                    + " the last). Default: ${DEFAULT-VALUE}.")
    List<Integer> blocks;

    @Option(names = "--features", defaultValue = "cls_concat_4", paramLabel = "VARIANT",
            description = "--train: the probe's feature variant. Default: ${DEFAULT-VALUE} for a ViT, pooled for a ConvNet.")
    String features;

    @Option(names = "--epochs", defaultValue = "2", paramLabel = "N",
            description = "--train: epochs measured with the cache and recomputing, alternately (medians are reported). Default: ${DEFAULT-VALUE}.")
    int epochs;

    /** One benchmarked network: its FLOPs per image and one timed forward pass. */
    private interface Subject extends AutoCloseable {
        double flops(int size);

        void forward(NDArray x);

        /** Where the time goes on a batch of real shapes (printed unless {@code out} is null). */
        ArrayNode profile(NDManager manager, int batch, int side, PrintWriter out);

        @Override
        void close();
    }

    /** Bench names of the ConvNets and their timm architectures. */
    static final Map<String, String> CONVNETS = Map.of(
            "effb0", "efficientnet_b0", "effb4", "efficientnet_b4", "xception", "legacy_xception");

    /** The timm config of a bench ConvNet: its architecture with ImageNet's 1000-class classifier, as the Hub checkpoints have. */
    static ObjectNode convNetConfig(String name) {
        return StrictJson.mapper().createObjectNode().put("architecture", CONVNETS.get(name)).put("num_classes", 1000);
    }

    private Subject open(String name, NDManager manager) {
        if (name.equals("vits14") || name.equals("vitb14")) {
            ViTConfig cfg = name.equals("vits14") ? BuiltinModels.vitSmall14() : BuiltinModels.vitBase14();
            VisionTransformer vit = RandomWeights.vitModel(cfg, 1, manager);
            return new Subject() {
                public double flops(int s) {
                    return cfg.flops(s, s);
                }

                public void forward(NDArray x) {
                    vit.features(x, 1, false, false).tokens().toFloatArray();
                }

                public ArrayNode profile(NDManager m, int batch, int side, PrintWriter out) {
                    return BlockProfile.run(vit, m, batch, side, out);
                }

                public void close() {
                    vit.close();
                }
            };
        }
        ConvNet net = ConvNets.random(CONVNETS.get(name), convNetConfig(name), manager);
        return new Subject() {
            public double flops(int s) {
                return net.flopsPerImage(s, s);
            }

            public void forward(NDArray x) {
                net.forward(x, 0).pooled().toFloatArray();
            }

            public ArrayNode profile(NDManager m, int batch, int side, PrintWriter out) {
                return profileConvNet(net, m, batch, side, out);
            }

            public void close() {
                net.close();
            }
        };
    }

    @Override
    public Integer call() {
        if (detect && train) {
            throw new UserError("--detect and --train are separate benchmarks; choose one");
        }
        if (detect) {
            return detectBench();
        }
        if (train) {
            return trainBench();
        }
        List<String[]> plan = new java.util.ArrayList<>();
        for (String m : models) {
            String[] parts = m.split("@", 2);
            boolean known = parts[0].equals("vits14") || parts[0].equals("vitb14") || CONVNETS.containsKey(parts[0]);
            if (!known) {
                throw new UserError("unknown bench model \"" + m + "\" (known: vits14, vitb14, effb0, effb4, xception; add @SIZE for another input side)");
            }
            int s = size;
            if (parts.length == 2) {
                try {
                    s = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new UserError("bad input side in \"" + m + "\"");
                }
            }
            boolean vit = parts[0].startsWith("vit");
            if (s < 14 || s > 2048 || (vit && s % 14 != 0)) {
                throw new UserError("input side " + s + " for " + parts[0] + " must be between 14 and 2048" + (vit ? " and a multiple of 14" : ""));
            }
            plan.add(new String[] {parts[0], Integer.toString(s)});
        }
        for (int b : batches) {
            if (b < 1 || b > 1024) {
                throw new UserError("--batch values must be between 1 and 1024");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode report = StrictJson.mapper().createObjectNode();
        report.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        try (NDManager manager = NDManager.newBaseManager()) {
            double peak = matmulCeiling(manager);
            report.put("ceiling_gflops", peak);
            if (!json) {
                out.printf("ceiling: %.1f GFLOP/s (float32 2048x2048 matmul, %d threads; load average %.2f)%n", peak,
                        report.get("threads").asInt(), report.get("load_average").asDouble());
                out.printf("%-9s %5s %5s %10s %12s %10s %8s%n", "model", "size", "batch", "images/s", "ms/batch", "GFLOP/s", "%peak");
            }
            ArrayNode rows = report.putArray("results");
            for (String[] p : plan) {
                String name = p[0];
                int side = Integer.parseInt(p[1]);
                try (Subject subject = open(name, manager)) {
                    double flops = subject.flops(side);
                    for (int b : batches) {
                        err.printf("bench %s@%d batch %d ...%n", name, side, b);
                        err.flush();
                        double perBatch = timeForward(subject, manager, b, side);
                        double ips = b / perBatch;
                        double gflops = ips * flops / 1e9;
                        ObjectNode row = rows.addObject();
                        row.put("model", name).put("batch", b).put("size", side).put("images_per_s", ips)
                                .put("ms_per_batch", perBatch * 1e3).put("gflop_per_image", flops / 1e9)
                                .put("gflops", gflops).put("fraction_of_ceiling", gflops / peak);
                        if (!json) {
                            out.printf("%-9s %5d %5d %10.2f %12.1f %10.1f %7.0f%%%n", name, side, b, ips, perBatch * 1e3, gflops, 100 * gflops / peak);
                            out.flush();
                        }
                        if (profile) {
                            row.set("profile", subject.profile(manager, b, side, json ? null : out));
                        }
                    }
                }
            }
        }
        if (json) {
            out.println(report.toPrettyString());
        }
        return 0;
    }

    private int detectBench() {
        if (repeat < 1 || repeat > 100) {
            throw new UserError("--repeat must be between 1 and 100");
        }
        int batch = batches.size() == 1 ? batches.get(0) : 16;
        if (batch < 1 || batch > 1024) {
            throw new UserError("--batch values must be between 1 and 1024");
        }
        java.nio.file.Path v = video != null ? video : DetectBenchmark.defaultClip();
        java.nio.file.Path d = detector != null ? detector : DetectBenchmark.defaultDetector();
        PrintWriter out = spec.commandLine().getOut();
        spec.commandLine().getErr().printf("bench --detect: %s with %s, %d frames, batch %d, %d runs ...%n", v, d, frames, batch, repeat);
        spec.commandLine().getErr().flush();
        DetectBenchmark.Result r = DetectBenchmark.run(v, d, frames, repeat, batch);
        ObjectNode report = StrictJson.mapper().createObjectNode();
        report.put("video", v.toString());
        report.put("detector", d.toString());
        report.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        report.put("frames", r.frames());
        report.put("faces", r.faces());
        report.put("batch", batch);
        report.put("decode_sampling_s", r.decode());
        report.put("face_detection_ms_per_frame", r.facesPerFrame() * 1e3);
        report.put("inference_s", r.model());
        report.put("sequential_sum_s", r.sequential());
        report.put("end_to_end_s", r.endToEnd());
        report.put("end_to_end_over_inference", r.endToEnd() / r.model());
        if (json) {
            out.println(report.toPrettyString());
        } else {
            out.printf(java.util.Locale.ROOT, "video %s: %d frames sampled, %d faces (medians of %d runs; %d cores, load average %.2f)%n", v,
                    r.frames(), r.faces(), repeat, report.get("cores").asInt(), report.get("load_average").asDouble());
            out.printf(java.util.Locale.ROOT, "decode + sampling   %8.3f s%n", r.decode());
            out.printf(java.util.Locale.ROOT, "face detection      %8.1f ms/frame (%.3f s)%n", r.facesPerFrame() * 1e3, r.facesPerFrame() * r.frames());
            out.printf(java.util.Locale.ROOT, "inference           %8.3f s (%d faces, batch %d)%n", r.model(), r.faces(), batch);
            out.printf(java.util.Locale.ROOT, "one after another   %8.3f s%n", r.sequential());
            out.printf(java.util.Locale.ROOT, "detect end to end   %8.3f s = %.2f x inference (target <= 1.3)%n", r.endToEnd(), r.endToEnd() / r.model());
        }
        out.flush();
        return 0;
    }

    private int trainBench() {
        var parsed = spec.commandLine().getParseResult();
        String model = parsed.hasMatchedOption("--models") ? models.get(0) : "vits14";
        if (models.size() > 1 && parsed.hasMatchedOption("--models")) {
            throw new UserError("--train measures one backbone at a time; give one of vits14, vitb14, effb0, effb4, xception to --models");
        }
        String[] parts = model.split("@", 2);
        boolean vit = parts[0].equals("vits14") || parts[0].equals("vitb14");
        if (!vit && !CONVNETS.containsKey(parts[0])) {
            throw new UserError("--train measures one of vits14, vitb14, effb0, effb4, xception (got \"" + model + "\")");
        }
        int side = size;
        if (parts.length == 2) {
            try {
                side = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new UserError("bad input side in \"" + model + "\"");
            }
        }
        if (images < 2 || images > 100_000) {
            throw new UserError("--images must be between 2 and 100000");
        }
        if (epochs < 1 || epochs > 1000) {
            throw new UserError("--epochs must be between 1 and 1000");
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
            ViTConfig cfg = parts[0].equals("vits14") ? BuiltinModels.vitSmall14() : BuiltinModels.vitBase14();
            units = java.util.stream.IntStream.range(0, cfg.depth()).mapToObj(i -> "blocks." + i).toList();
            unitNote = "a unit (k) is one transformer block, " + cfg.depth() + " in all; frozen before them: the patch embedding and the"
                    + " blocks not trained";
            maxBlocks = cfg.depth() - 1;
        } else {
            int min;
            try (NDManager m = NDManager.newBaseManager(); ConvNet net = ConvNets.random(CONVNETS.get(parts[0]), convNetConfig(parts[0]), m)) {
                units = net.unitNames();
                min = net.minimumInputSize();
            }
            if (side < min || side > 1024) {
                throw new UserError("input side " + side + " for " + parts[0] + " must be between " + min + " and 1024");
            }
            unitNote = "a unit (k) is one stage of blocks (" + units.get(0) + " ... " + units.get(units.size() - 2) + ") or, last, the head"
                    + " convolution " + units.get(units.size() - 1) + ", counted from the end, " + units.size() + " in all; the stem is always"
                    + " frozen";
            maxBlocks = units.size();
        }
        for (int k : blocks) {
            if (k < 1 || k > maxBlocks) {
                throw new UserError("--blocks values must be between 1 and " + maxBlocks + " for " + parts[0]
                        + (vit ? " (with k = " + units.size() + " nothing is frozen, so there is nothing to cache)"
                        : " (" + String.join(", ", units) + ")"));
            }
        }
        Integer batch = null;
        if (parsed.hasMatchedOption("--batch")) {
            if (batches.size() != 1 || batches.get(0) < 1 || batches.get(0) > 65_536) {
                throw new UserError("--train takes one --batch value, between 1 and 65536 (default: the paper's, 256 probe, 128 finetune)");
            }
            batch = batches.get(0);
        }
        FeatureVariant probe = vit || parsed.hasMatchedOption("--features") ? FeatureVariant.parse(features) : FeatureVariant.POOLED;
        if (probe.forConvNets() == vit) {
            throw new UserError("--features " + probe + (vit ? " is for ConvNets; a ViT's probe reads tokens, e.g. cls_concat_4"
                    : " reads ViT tokens; a ConvNet's probe reads " + FeatureVariant.POOLED + " (its last map, global-average-pooled)"));
        }
        TrainingBenchmark.Plan plan = new TrainingBenchmark.Plan(parts[0], units, unitNote, side, images, probe, List.copyOf(blocks), batch,
                epochs);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
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
            report.put("model", parts[0]).put("size", side).put("train_images", images).put("val_images", val).put("epochs", epochs);
            report.put("threads", threads).put("cores", Runtime.getRuntime().availableProcessors());
            report.put("load_average_before", loadBefore).put("load_average_after", loadAfter).put("wall_s", wall);
            report.put("timed", timed);
            report.put("unit", unitNote);
            ArrayNode a = report.putArray("results");
            rows.forEach(r -> a.add(TrainingBenchmark.json(plan, r)));
            out.println(report.toPrettyString());
        } else {
            out.printf(java.util.Locale.ROOT, "training %s at %d px: %d train + %d validation images, %d epoch(s) each way, %d threads,"
                    + " load average %.2f before, %.2f after%n", parts[0], side, images, val, epochs, threads, loadBefore, loadAfter);
            out.println("(" + timed + "; medians over the epochs)");
            out.println("(" + unitNote + ")");
            out.printf(java.util.Locale.ROOT, "%-27s %5s %11s %11s %13s %13s %9s %9s  %s%n", "approach", "batch", "cache fill", "1st epoch",
                    "epoch, cache", "recomputing", "speed-up", "(CPU)", "target");
            for (TrainingBenchmark.Row r : rows) {
                String target = r.approach() == Approach.PROBE
                        ? String.format(java.util.Locale.ROOT, "later/first %.2f %% (< 2 %%)", 100 * r.cachedEpoch() / r.firstEpoch())
                        : TrainingBenchmark.hasSpeedupTarget(plan, r) ? "speed-up >= 4" : "";
                String cpu = Double.isNaN(r.speedupCpu()) ? "-" : String.format(java.util.Locale.ROOT, "%.1fx", r.speedupCpu());
                out.printf(java.util.Locale.ROOT, "%-27s %5d %9.3f s %9.3f s %11.3f s %11.3f s %8.1fx %9s  %s%n", r.label(), r.batch(),
                        r.cacheFill(), r.firstEpoch(), r.cachedEpoch(), r.recomputedEpoch(), r.speedup(), cpu, target);
            }
            out.printf(java.util.Locale.ROOT, "(%.0f s in all)%n", wall);
        }
        out.flush();
        return 0;
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Time per part (stem, stages, head) of a ConvNet on its real shapes. */
    private static ArrayNode profileConvNet(ConvNet net, NDManager manager, int batch, int side, PrintWriter out) {
        ArrayNode rows = StrictJson.mapper().createArrayNode();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 3, side, side));
            List<ConvNet.PartTiming> parts = net.profile(x, 5);
            double total = parts.stream().mapToDouble(ConvNet.PartTiming::seconds).sum();
            if (out != null) {
                out.printf("    %-26s %9s %7s  %s%n", "part (batch " + batch + ")", "ms", "share", "output");
            }
            for (ConvNet.PartTiming p : parts) {
                rows.addObject().put("part", p.part()).put("ms", p.seconds() * 1e3).put("share", p.seconds() / total)
                        .put("output", p.output().toString());
                if (out != null) {
                    out.printf("    %-26s %9.2f %6.0f%%  %s%n", p.part(), p.seconds() * 1e3, 100 * p.seconds() / total, p.output());
                }
            }
        }
        return rows;
    }

    /** Seconds per batch: one warm-up pass, then repeat until {@link #seconds} have passed (at least 3 runs). */
    private double timeForward(Subject subject, NDManager manager, int batch, int side) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 3, side, side));
            run(subject, x);
            int runs = 0;
            long start = System.nanoTime();
            while (runs < 3 || (System.nanoTime() - start) / 1e9 < seconds) {
                run(subject, x);
                runs++;
            }
            return (System.nanoTime() - start) / 1e9 / runs;
        }
    }

    private static void run(Subject subject, NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            x.tempAttach(scope);
            subject.forward(x);
        }
    }

    /** Float32 GFLOP/s of a 2048³ matmul: what the engine reaches on dense, cache-friendly work. */
    static double matmulCeiling(NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            int n = 2048;
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double best = 0;
            for (int i = 0; i < 5; i++) {
                long t = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                double s = (System.nanoTime() - t) / 1e9;
                c.close();
                best = Math.max(best, 2.0 * n * n * n / s / 1e9);
            }
            return best;
        }
    }
}
