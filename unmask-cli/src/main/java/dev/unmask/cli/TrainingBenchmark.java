package dev.unmask.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.FrozenPart;
import dev.unmask.core.train.Progress;
import dev.unmask.core.train.TrainSettings;
import dev.unmask.core.train.TrainingRun;
import dev.unmask.core.vit.ViTVariant;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * {@code unmask bench train}: what the feature and prefix caches save per epoch, measured with
 * the real training code ({@link TrainingRun}) on a backbone of a real size (a ViT or a ConvNet)
 * with random weights and a synthetic labelled image set. Each approach trains on the same images with the same settings
 * and trainable tensors in two ways: reading the frozen part's output from a cache (filled once,
 * timed apart), and recomputing it for every batch without gradients ({@link FrozenPart#RECOMPUTED}).
 *
 * <p>An epoch's time is {@link TrainingRun.EpochRecord#seconds()}: all training steps plus the
 * validation pass (the checkpoint written after it is not included). An untimed run first warms
 * libtorch and the JIT.
 */
final class TrainingBenchmark {
    /** The run's validation set is this fraction of the training set, as the demo's 400 + 99. */
    static final int VAL_DIVISOR = 4;

    /**
     * @param model    registry name of one of {@link BenchBackbones#ALL}
     * @param units    what Approach 2 counts k over, first to last, by checkpoint name: a ViT's
     *                 blocks, a ConvNet's stages and then its head convolutions (the stem is
     *                 never trained, so it is not a unit)
     * @param unitNote what a unit is for this family, for the report
     * @param batch    training batch, or null for the paper's (256 probe, 128 Approach 2)
     * @param blocks   the k values of Approach 2
     * @param epochs   epochs measured of each way, alternating
     */
    record Plan(String model, List<String> units, String unitNote, int side, int images, FeatureVariant probeFeatures, List<Integer> blocks,
                Integer batch, int epochs) {
        boolean convNet() {
            return BenchBackbones.CONVNETS.containsKey(model);
        }

        /** What Approach 2 reads: the last block's CLS token of a ViT, the pooled last map of a ConvNet. */
        FeatureVariant finetuneFeatures() {
            return convNet() ? FeatureVariant.POOLED : FeatureVariant.parse("cls_last");
        }
    }

    /**
     * One approach: the one-off cache fill (wall-clock) and every epoch of both runs, in wall-clock
     * and in this process's CPU seconds (all threads); the CPU figures change little with other
     * jobs' load, the wall-clock ones are what a user waits.
     */
    record Row(Approach approach, FeatureVariant features, int blocks, int frozenBlocks, List<String> trainedUnits, int batch, double cacheFill,
               double[] cachedEpochs,
               double[] recomputedEpochs, double[] cachedEpochsCpu, double[] recomputedEpochsCpu) {
        double cachedEpoch() {
            return DetectBenchmark.median(cachedEpochs);
        }

        double recomputedEpoch() {
            return DetectBenchmark.median(recomputedEpochs);
        }

        /** What the first epoch of {@code train} costs: the cache fill and the epoch itself. */
        double firstEpoch() {
            return cacheFill + cachedEpochs[0];
        }

        double speedup() {
            return recomputedEpoch() / cachedEpoch();
        }

        /** NaN when the cached epoch took less CPU time than the clock resolves (10 ms on Linux). */
        double speedupCpu() {
            double cached = DetectBenchmark.median(cachedEpochsCpu);
            return cached > 0 ? DetectBenchmark.median(recomputedEpochsCpu) / cached : Double.NaN;
        }

        String label() {
            return approach == Approach.PROBE ? "probe " + features : approach + " k=" + blocks + " " + features;
        }
    }

    private TrainingBenchmark() {}

    static List<Row> run(Plan plan, Progress progress) {
        Path scratch;
        try {
            scratch = Files.createTempDirectory("unmask-bench-train");
        } catch (IOException e) {
            throw new UserError("cannot make a scratch folder for the benchmark (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        try {
            Path backbone = writeBackbone(plan.model(), scratch.resolve("backbone"));
            Path root = scratch.resolve("images");
            int val = Math.max(4, plan.images() / VAL_DIVISOR);
            Path trainList = writeImages(root, "train", plan.images(), plan.side());
            Path valList = writeImages(root, "val", val, plan.side());
            Datalist train = Datalist.read(trainList, root);
            Datalist valSet = Datalist.read(valList, root);
            Runner runner = new Runner(backbone, train, valSet, scratch, progress);

            // Untimed: libtorch's kernels, the allocator and the JIT warm up on the largest Approach 2 step.
            Datalist warmTrain = Datalist.read(writeImages(root, "warmup", 4, plan.side()), root);
            new Runner(backbone, warmTrain, warmTrain, scratch, progress)
                    .train(settings(plan, Approach.FINETUNE, plan.finetuneFeatures(), plan.blocks().stream().max(Integer::compare).orElse(1)),
                            FrozenPart.RECOMPUTED, "warmup");

            List<Row> rows = new ArrayList<>();
            int units = plan.units().size();
            rows.add(runner.row(settings(plan, Approach.PROBE, plan.probeFeatures(), 0), units, List.of(), plan.epochs()));
            for (int k : plan.blocks()) {
                rows.add(runner.row(settings(plan, Approach.FINETUNE, plan.finetuneFeatures(), k), units - k,
                        plan.units().subList(units - k, units), plan.epochs()));
            }
            return rows;
        } finally {
            deleteRecursively(scratch);
        }
    }

    /** A model directory with seeded random weights of the model's real size, as {@code train --backbone} reads it. */
    static Path writeBackbone(String model, Path dir) {
        if (model.equals("dinov2_vits14")) {
            return BuiltinModels.demoBackbone();
        }
        if (model.equals("dinov2_vitb14")) {
            return BuiltinModels.writeRandomDinov2(dir, ViTVariant.VIT_BASE_PATCH14_DINOV2.hubName(), BuiltinModels.vitBase14(), 2024);
        }
        try {
            return ConvNets.writeRandom(dir, BenchBackbones.CONVNETS.get(model), BenchBackbones.convNetConfig(model));
        } catch (IOException e) {
            throw new UserError("cannot write the random " + model + " backbone (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /** train's defaults for the approach (cache precision included), at the plan's size, one epoch, without early stopping. */
    static TrainSettings settings(Plan plan, Approach a, FeatureVariant features, int blocks) {
        TrainSettings d = TrainSettings.defaults(a, features, blocks);
        boolean half = features.allTokens() || a != Approach.PROBE;
        return new TrainSettings(a, features, d.head(), d.mlpHidden(), d.mlpDropout(), d.blocks(), d.prefixCache(), half, plan.side(), 1,
                plan.batch() != null ? plan.batch() : d.batchSize(), d.learningRate(), d.weightDecay(), 0, d.seed());
    }

    /**
     * Trains with one backbone and data set. The cached and the recomputing run alternate one
     * epoch at a time (each epoch a run of its own, all reading the one cache), so that a change in
     * the machine's load while measuring falls on both sides rather than on one.
     */
    private record Runner(Path backbone, Datalist train, Datalist val, Path scratch, Progress progress) {
        TrainingRun.Result train(TrainSettings s, FrozenPart frozen, String name) {
            return train(s, frozen, name, name, progress);
        }

        private TrainingRun.Result train(TrainSettings s, FrozenPart frozen, String name, String cache, Progress p) {
            // Timed with the process's libtorch threads (all cores unless pinned), which the report states, not train's fixed default.
            return TrainingRun.run(s, new TrainingRun.Inputs(backbone, train, val, scratch.resolve(name + ".unmask"), scratch.resolve("cache-" + cache),
                    null, "unmask bench train"), false, p, frozen, Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        }

        Row row(TrainSettings s, int frozenBlocks, List<String> trainedUnits, int epochs) {
            String name = s.approach() + "-" + s.blocks();
            double fill = Double.NaN;
            double[][] wall = new double[2][epochs];
            double[][] cpu = new double[2][epochs];
            for (int e = 0; e < epochs; e++) {
                for (FrozenPart f : FrozenPart.values()) {
                    EpochCpuClock clock = new EpochCpuClock(progress);
                    TrainingRun.Result r = train(s, f, name + "-" + f.name().toLowerCase(java.util.Locale.ROOT) + "-" + e, name, clock);
                    wall[f.ordinal()][e] = r.history().get(0).seconds();
                    cpu[f.ordinal()][e] = clock.epochCpu();
                    if (f == FrozenPart.CACHED && e == 0) {
                        if (Double.isNaN(r.cacheFillSeconds())) {
                            throw new IllegalStateException("the cached run filled no cache");
                        }
                        fill = r.cacheFillSeconds();
                    }
                }
            }
            return new Row(s.approach(), s.features(), s.blocks(), frozenBlocks, trainedUnits, s.batchSize(), fill, wall[0], wall[1], cpu[0], cpu[1]);
        }
    }

    /**
     * The process CPU time of a one-epoch run's epoch: from the start of its training steps to
     * the end of its validation, before the checkpoint is written, as the epoch's own wall-clock
     * seconds are taken. Everything else is passed on to the shown progress.
     */
    private static final class EpochCpuClock implements Progress {
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        private final Progress shown;
        private long cpuAtStart = -1;
        private double epochCpu = Double.NaN;

        EpochCpuClock(Progress shown) {
            this.shown = shown;
        }

        double epochCpu() {
            if (Double.isNaN(epochCpu)) {
                throw new IllegalStateException("the run reported no epoch");
            }
            return epochCpu;
        }

        @Override
        public void epochStarted(int epoch) {
            cpuAtStart = OS.getProcessCpuTime();
        }

        @Override
        public void epochFinished(TrainingRun.EpochRecord record) {
            if (cpuAtStart >= 0 && Double.isNaN(epochCpu)) {
                epochCpu = (OS.getProcessCpuTime() - cpuAtStart) / 1e9;
            }
        }

        @Override
        public void start(String phase, long total) {
            shown.start(phase, total);
        }

        @Override
        public void update(long done, String detail) {
            shown.update(done, detail);
        }

        @Override
        public void finish(String summary) {
            shown.finish(summary);
        }

        @Override
        public void message(String line) {
            shown.message(line);
        }
    }

    /** {@code n} distinct synthetic faces of {@code side} px, alternately labelled real and fake, and their list. */
    static Path writeImages(Path root, String split, int n, int side) {
        StringBuilder list = new StringBuilder("path,label\n");
        try {
            Files.createDirectories(root.resolve(split));
            for (int i = 0; i < n; i++) {
                String rel = split + "/" + i + ".png";
                long seed = split.hashCode() * 1_000_003L + i;
                BufferedImage face = BuiltinModels.drawFace(side, seed);
                // Light noise makes every image distinct content, so each gets its own cache record.
                java.util.SplittableRandom noise = new java.util.SplittableRandom(seed);
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        int rgb = face.getRGB(x, y);
                        int d = noise.nextInt(9) - 4;
                        face.setRGB(x, y, clamp((rgb >> 16 & 255) + d) << 16 | clamp((rgb >> 8 & 255) + d) << 8 | clamp((rgb & 255) + d));
                    }
                }
                ImageIO.write(face, "png", root.resolve(rel).toFile());
                list.append(rel).append(',').append(i % 2).append('\n');
            }
            Path file = root.resolve(split + ".csv");
            Files.writeString(file, list.toString());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A scratch folder left in the temp directory is harmless; the measurement stands.
        }
    }

    /**
     * The k = 1 target (at least 4× per epoch) is reasoned from a ViT's equal blocks
     * (≈ 14 vs 3 block-costs for ViT-S); a ConvNet's units differ in cost, so it has none.
     */
    static boolean hasSpeedupTarget(Plan plan, Row r) {
        return !plan.convNet() && r.approach() != Approach.PROBE && r.blocks() == 1;
    }

    static ObjectNode json(Plan plan, Row r) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("approach", r.approach().id());
        o.put("features", r.features().id());
        o.put("blocks", r.blocks());
        o.put("frozen_blocks", r.frozenBlocks());
        ArrayNode trained = o.putArray("trained_units");
        r.trainedUnits().forEach(trained::add);
        o.put("batch", r.batch());
        o.put("cache_fill_s", r.cacheFill());
        ArrayNode c = o.putArray("cached_epochs_s");
        for (double s : r.cachedEpochs()) {
            c.add(s);
        }
        ArrayNode rc = o.putArray("recomputed_epochs_s");
        for (double s : r.recomputedEpochs()) {
            rc.add(s);
        }
        ArrayNode cc = o.putArray("cached_epochs_cpu_s");
        for (double s : r.cachedEpochsCpu()) {
            cc.add(s);
        }
        ArrayNode rcc = o.putArray("recomputed_epochs_cpu_s");
        for (double s : r.recomputedEpochsCpu()) {
            rcc.add(s);
        }
        o.put("cached_epoch_s", r.cachedEpoch());
        o.put("recomputed_epoch_s", r.recomputedEpoch());
        o.put("first_epoch_s", r.firstEpoch());
        o.put("later_over_first", r.cachedEpoch() / r.firstEpoch());
        o.put("speedup", r.speedup());
        if (Double.isNaN(r.speedupCpu())) {
            o.putNull("speedup_cpu");
        } else {
            o.put("speedup_cpu", r.speedupCpu());
        }
        if (r.approach() == Approach.PROBE) {
            o.put("target", "later_over_first < 0.02");
            o.put("meets_target", r.cachedEpoch() / r.firstEpoch() < 0.02);
        } else if (hasSpeedupTarget(plan, r)) {
            o.put("target", "speedup >= 4");
            o.put("meets_target", r.speedup() >= 4);
        }
        return o;
    }
}
