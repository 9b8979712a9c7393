package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.cache.TensorCache;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.data.Augmentation;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.detector.BackboneRef;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.detector.TrainingLog;
import dev.unmask.core.head.Head;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.BinaryMetrics;
import dev.unmask.core.metrics.Roc;
import dev.unmask.core.model.Backbone;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.tensor.Tensors;
import dev.unmask.core.vit.ForwardPass;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A whole training run, as the paper trains, made safe to interrupt: the backbone's frozen part
 * runs once per image into a cache, each epoch shuffles with a stream derived from (seed, epoch)
 * and drops out with one from (seed, epoch, step), validation runs after every epoch, the best
 * epoch is the one with the lowest validation EER, and after every epoch a checkpoint (trained
 * tensors, optimizer state, best tensors, history) replaces the previous one atomically. A run
 * killed at any moment and resumed redoes the interrupted epoch and ends with the same detector
 * as an uninterrupted one. With augmentation ({@link TrainSettings#augmentation()}) training
 * images change every epoch, so only validation images use the cache; the frozen part runs
 * without gradients on every training batch, drawing from (seed, epoch, item).
 *
 * <p>Files: the detector at {@code out}; beside it {@code out + ".train/"} with
 * {@code checkpoint.safetensors}, {@code train_log.csv} and {@code train_log.json}.
 */
public final class TrainingRun {
    /** Images per backbone call when filling a cache; 8–16 were fastest on 2 cores (DESIGN.md). */
    static final int EXTRACT_BATCH = 16;
    static final String CHECKPOINT = "checkpoint.safetensors";
    static final String CHECKPOINT_KEY = "unmask_checkpoint";
    /**
     * Approach 2 runs forward/backward in slices of this many images and sums the gradients: a
     * full batch of 128 through a ViT's attention would hold several GB of activations.
     */
    static final int MICRO_BATCH = 32;

    /**
     * libtorch intra-op threads a training run uses unless told otherwise (and a resumed run uses
     * its checkpoint's). Reductions split their sums among the threads, so the count sets the last
     * bits of every loss and weight, and over a few epochs those bits grow into different detectors.
     * A fixed count, not the machine's cores, makes the same seed give the same detector anywhere.
     * The system property {@code unmask.train.threads} changes the default (the tests use 2).
     */
    public static final int DEFAULT_THREADS = 4;
    static final int MAX_THREADS = 256;

    /**
     * @param cropContract how the training faces were made (detector, margin, format, ...), stored in the detector
     * @param commandLine  for provenance
     */
    public record Inputs(Path backboneDir, Datalist train, Datalist val, Path out, Path cacheRoot, ObjectNode cropContract,
                         String commandLine) {}

    public record EpochRecord(int epoch, double trainLoss, double valLoss, double valAuc, double valEer, double valAcc, double seconds) {}

    /**
     * @param validation       metrics of the best epoch at its EER threshold
     * @param valScores        the best epoch's validation scores, in the order of {@code valItems}
     * @param cacheFillSeconds wall-clock seconds this run spent filling the feature or prefix cache
     *                         (near 0 when it was already full); NaN when the run used no cache
     */
    public record Result(Path detector, int bestEpoch, int epochsRun, boolean stoppedEarly, BinaryMetrics validation, double threshold,
                         List<EpochRecord> history, List<String> skipped, List<Datalist.Item> valItems, float[] valScores,
                         double cacheFillSeconds) {}

    private final TrainSettings s;
    private final Inputs in;
    private final Progress progress;
    private final FrozenPart frozenPart;
    private final Path trainDir;
    /** Asked for with --threads, or null. */
    private final Integer requestedThreads;
    /** What this run computes with (see {@link #DEFAULT_THREADS}). */
    private int threads;
    private double cacheFillSeconds = Double.NaN;

    private TrainingRun(TrainSettings s, Inputs in, Progress progress, FrozenPart frozen, Integer threads) {
        this.s = s;
        this.in = in;
        this.progress = progress;
        this.frozenPart = frozen;
        this.trainDir = Path.of(in.out().toString() + ".train");
        this.requestedThreads = threads;
    }

    /** Where the checkpoint and logs of a run writing {@code out} live. */
    public static Path trainingDirectory(Path out) {
        return Path.of(out.toString() + ".train");
    }

    public static Result run(TrainSettings settings, Inputs inputs, boolean resume, Progress progress) {
        return run(settings, inputs, resume, progress, FrozenPart.CACHED);
    }

    /** As {@link #run(TrainSettings, Inputs, boolean, Progress)}, with the frozen part cached or recomputed every batch. */
    public static Result run(TrainSettings settings, Inputs inputs, boolean resume, Progress progress, FrozenPart frozen) {
        return run(settings, inputs, resume, progress, frozen, null);
    }

    /**
     * As {@link #run(TrainSettings, Inputs, boolean, Progress, FrozenPart)} with {@code threads}
     * libtorch intra-op threads (null: a resumed run's, else {@link #DEFAULT_THREADS}); the
     * process's own count is put back when the run ends.
     */
    public static Result run(TrainSettings settings, Inputs inputs, boolean resume, Progress progress, FrozenPart frozen, Integer threads) {
        return new TrainingRun(settings, inputs, progress, frozen, threads).run(resume);
    }

    private Result run(boolean resume) {
        Path checkpoint = trainDir.resolve(CHECKPOINT);
        if (!resume && Files.exists(checkpoint)) {
            throw new UserError(checkpoint + " holds an earlier run for " + in.out() + "; pass --resume to continue it, or delete "
                    + trainDir + " to start over");
        }
        threads = threads(checkpoint);
        String dynamic = System.getenv("OMP_DYNAMIC");
        if (dynamic != null && (dynamic.equalsIgnoreCase("true") || dynamic.equals("1"))) {
            progress.message("warning: OMP_DYNAMIC=" + dynamic + " lets OpenMP run fewer threads than " + threads
                    + " when the machine is busy, and the same seed may then give another detector (bin/unmask sets it to false)");
        }
        ai.djl.engine.Engine.getInstance();
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        // Set on this thread, which runs every op of the training (libtorch keeps the count per thread).
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        try {
            return train(checkpoint);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
        }
    }

    /** --threads; else the count the checkpoint being resumed was computed with; else the default. */
    private int threads(Path checkpoint) {
        Integer resumed = null;
        if (Files.exists(checkpoint)) {
            try (SafeTensors st = SafeTensors.open(checkpoint)) {
                String text = st.metadata().get(CHECKPOINT_KEY);
                JsonNode n = text == null ? null : StrictJson.parse(text, checkpoint.toString()).get("libtorch_threads");
                resumed = n != null && n.canConvertToInt() && n.asInt() >= 1 && n.asInt() <= MAX_THREADS ? n.asInt() : null;
            }
        }
        if (requestedThreads != null) {
            if (requestedThreads < 1 || requestedThreads > MAX_THREADS) {
                throw new UserError("--threads must be between 1 and " + MAX_THREADS + ", got " + requestedThreads);
            }
            if (resumed != null && !resumed.equals(requestedThreads)) {
                progress.message("note: the run began with " + resumed + " threads and goes on with " + requestedThreads
                        + "; the detector will differ in the last bits from an uninterrupted run");
            }
            return requestedThreads;
        }
        if (resumed != null) {
            return resumed;
        }
        Integer configured = Integer.getInteger("unmask.train.threads");
        if (configured != null && (configured < 1 || configured > MAX_THREADS)) {
            throw new UserError("-Dunmask.train.threads must be between 1 and " + MAX_THREADS + ", got " + configured);
        }
        return configured != null ? configured : DEFAULT_THREADS;
    }

    private Result train(Path checkpoint) {
        requireBothClasses(in.train(), "--train");
        requireBothClasses(in.val(), "--val");
        BackboneRef ref = BackboneRef.of(in.backboneDir());
        ModelDirectory md = ModelDirectory.open(in.backboneDir());
        if (md.isConvNet()) {
            checkFitsConvNet(md);
        } else {
            checkFits(md.vitSpec().config());
        }
        List<TrainingData.Skipped> skipped = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(); Backbone backbone = Backbone.load(md, manager)) {
            backbone.requireFeatures(s.features());
            if (backbone instanceof Backbone.Conv conv && s.approach().tunesBackbone()) {
                checkUnits(conv.model());
            }
            Preprocessing pre = backbone.preprocessing(s.imageSize());
            TrainingData.Split train = TrainingData.hash("train", in.train(), skipped, progress);
            TrainingData.Split val = TrainingData.hash("val", in.val(), skipped, progress);

            int[] input = backbone.headInputShape(s.features(), pre.size());
            int n = input[0];
            HeadSpec spec = new HeadSpec(s.features(), s.head(), n, input[1], input[2], s.mlpHidden(), s.mlpDropout());
            int fromBlock = 0;
            TensorCache cache = null;
            Augmentation augmentation = s.augmentation();
            boolean augment = !augmentation.isOff();
            try {
                // What the frozen part outputs per image (the probe's features, or the frozen
                // prefix's tokens) and the cache that keeps it; null when the backbone runs whole
                // in every step (Approach 2 without the prefix cache).
                Function<NDArray, NDArray> frozenOutput = null;
                TensorCache.Key key = null;
                String recomputed;
                if (s.approach() == Approach.PROBE) {
                    String read = s.features().allTokens() ? "all" : s.features().forConvNets() ? "pooled" : "cls";
                    key = new TensorCache.Key("features/" + read + "/" + n,
                            ref.sha256(), pre.descriptor(), new long[] {n, spec.tokens(), spec.dim()}, s.halfCache());
                    frozenOutput = images -> backbone.headInput(images, s.features());
                    recomputed = "the backbone's features are recomputed for every training batch (every epoch) instead of read from"
                            + " the feature cache";
                } else if (backbone instanceof Backbone.Conv conv) {
                    // A ConvNet's stem is never trained, so there is always a frozen prefix; without
                    // the prefix cache it is recomputed (below), as augmentation does.
                    ConvNet net = conv.model();
                    fromBlock = net.numUnits() - s.blocks();
                    final int upTo = fromBlock;
                    frozenOutput = images -> net.prefix(images, upTo);
                    key = new TensorCache.Key("prefix/convnet/" + fromBlock, ref.sha256(), pre.descriptor(),
                            prefixShape(net, pre.size(), fromBlock, manager), s.halfCache());
                    recomputed = "the frozen stem and units " + (fromBlock == 0 ? "(none)" : String.join(", ", net.unitNames().subList(0, fromBlock)))
                            + " are recomputed without gradients for every training batch instead of read from the prefix cache";
                } else if (s.prefixCache() && s.blocks() < ((Backbone.ViT) backbone).model().config().depth()) {
                    VisionTransformer vit = ((Backbone.ViT) backbone).model();
                    ViTConfig cfg = vit.config();
                    int depth = cfg.depth();
                    fromBlock = depth - s.blocks();
                    int prefixTokens = cfg.numPrefixTokens() + (pre.size() / cfg.patchSize()) * (pre.size() / cfg.patchSize());
                    key = new TensorCache.Key("prefix/" + fromBlock, ref.sha256(), pre.descriptor(),
                            new long[] {prefixTokens, cfg.embedDim()}, s.halfCache());
                    final int upTo = fromBlock;
                    frozenOutput = images -> prefix(vit, images, upTo);
                    recomputed = "the frozen blocks 0-" + (fromBlock - 1) + " are recomputed without gradients for every training batch instead of"
                            + " read from the prefix cache; the trained set stays the same (CLS and register tokens frozen)";
                } else {
                    recomputed = "the whole backbone runs on them as without augmentation";
                }
                Set<String> bad;
                TrainingData.Source valSource;
                if (frozenOutput == null) {
                    bad = TrainingData.checkDecodable(List.of(train, val), pre, skipped, progress);
                    valSource = TrainingData.images(pre);
                } else if (frozenPart == FrozenPart.RECOMPUTED || !s.prefixCache() && s.approach().tunesBackbone()) {
                    bad = TrainingData.checkDecodable(List.of(train, val), pre, skipped, progress);
                    valSource = TrainingData.computed(pre, EXTRACT_BATCH, frozenOutput);
                } else {
                    cache = TensorCache.open(in.cacheRoot(), key);
                    // Augmented training images differ every epoch, so only validation images go to the cache.
                    long fillStart = System.nanoTime();
                    bad = TrainingData.fill(cache, augment ? List.of(val) : List.of(train, val), pre, EXTRACT_BATCH, frozenOutput, manager,
                            skipped, progress);
                    cacheFillSeconds = (System.nanoTime() - fillStart) / 1e9;
                    valSource = TrainingData.cached(cache);
                    if (augment) {
                        bad = new java.util.HashSet<>(bad);
                        bad.addAll(TrainingData.checkDecodable(List.of(train), pre, skipped, progress));
                    }
                }
                Function<NDArray, NDArray> frozen = frozenOutput == null ? images -> images : frozenOutput;
                train = train.without(bad);
                val = val.without(bad);
                requireBothClasses(train, "--train");
                requireBothClasses(val, "--val");
                IntFunction<TrainingData.Source> trainSource;
                if (augment) {
                    progress.message("augmentation " + augmentation.spec() + ": training images are augmented afresh every epoch, so " + recomputed
                            + "; validation images are never augmented");
                    trainSource = epoch -> TrainingData.augmented(pre, augmentation, s.seed(), epoch, frozen, EXTRACT_BATCH);
                } else {
                    trainSource = epoch -> valSource;
                }
                return loop(backbone, ref, pre, spec, fromBlock, trainSource, valSource, train, val, skipped, manager);
            } finally {
                if (cache != null) {
                    cache.close();
                }
            }
        }
    }

    /** Settings that cannot work with this backbone are refused before any image is read. */
    private void checkFits(ViTConfig cfg) {
        Preprocessing.forBackbone(cfg.patchSize(), cfg.mean(), cfg.std(), s.imageSize());
        if (s.approach().tunesBackbone()) {
            new BackboneTuning(BackboneTuning.FINETUNE, s.blocks(), false).parameterNames(cfg);
            int n = s.features().blocks(cfg.depth());
            if (s.prefixCache() && s.blocks() < cfg.depth() && n > s.blocks()) {
                throw new UserError(s.features() + " reads the last " + n + " blocks, but only " + s.blocks()
                        + " run after the cached prefix; use --blocks " + n + " or more, or --no-prefix-cache");
            }
        }
    }

    /**
     * A ConvNet is trained as Approach 1 (a head on the pooled last map) or Approach 2 (its last
     * units, BatchNorm frozen in the folded convolutions); it has no LayerNorms to tune.
     */
    private void checkFitsConvNet(ModelDirectory md) {
        String arch = md.config().get("architecture").asText();
        if (s.approach() == Approach.LNTUNE) {
            throw new UserError("--approach lntune tunes LayerNorms, which a ConvNet (" + StrictJson.oneLine(arch)
                    + ") does not have; use --approach probe or finetune");
        }
        if (!s.features().forConvNets()) {
            throw new UserError("--features " + s.features() + " reads ViT tokens; a ConvNet (" + StrictJson.oneLine(arch) + ") gives "
                    + dev.unmask.core.model.FeatureVariant.POOLED + " (its last map, global-average-pooled)");
        }
    }

    private void checkUnits(ConvNet net) {
        if (s.blocks() > net.numUnits()) {
            throw new UserError("--blocks " + s.blocks() + " must be between 1 and the " + net.numUnits() + " units of " + net.architecture()
                    + " (" + String.join(", ", net.unitNames()) + "); the stem is never trained");
        }
    }

    /** [C, H, W] of a ConvNet's frozen prefix at size×size, from one blank image. */
    private static long[] prefixShape(ConvNet net, int size, int upTo, NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            return net.prefix(m.zeros(new ai.djl.ndarray.types.Shape(1, 3, size, size)), upTo).getShape().slice(1).getShape();
        }
    }

    /** The frozen prefix: embedding and blocks [0, upTo), inference numerics. */
    static NDArray prefix(VisionTransformer vit, NDArray images, int upTo) {
        return vit.forward(images, ForwardPass.blocks(0, upTo)).tokens();
    }

    private static void requireBothClasses(Datalist list, String flag) {
        long fake = list.fakeCount();
        if (fake == 0 || fake == list.size()) {
            throw new UserError(flag + " " + list.source() + ": all " + list.size() + " items are " + (fake == 0 ? "real" : "fake")
                    + "; training and validation need both classes");
        }
    }

    private static void requireBothClasses(TrainingData.Split split, String flag) {
        long fake = java.util.Arrays.stream(split.labels()).filter(l -> l == 1).count();
        if (fake == 0 || fake == split.size()) {
            throw new UserError(flag + " " + split.list().source() + ": " + split.size() + " usable images, all "
                    + (fake == 0 ? "real" : "fake") + "; training and validation need both classes");
        }
    }

    private Result loop(Backbone backbone, BackboneRef ref, Preprocessing pre, HeadSpec spec, int fromBlock,
                        IntFunction<TrainingData.Source> trainSource, TrainingData.Source valSource, TrainingData.Split train,
                        TrainingData.Split val, List<TrainingData.Skipped> skipped, NDManager manager) {
        long headSeed = RandomStreams.of(s.seed(), RandomStreams.HEAD_INIT).nextLong();
        try (Head head = Head.initialise(spec, headSeed, manager)) {
            Trainable model;
            Optimizer optimizer;
            Map<String, NDArray> changedBackbone = new LinkedHashMap<>();
            if (s.approach() == Approach.PROBE) {
                model = new ProbeModel(head);
                optimizer = new Sgd(new Sgd.Settings(s.learningRate()));
            } else if (backbone instanceof Backbone.Conv conv) {
                ConvNetFineTuneModel convModel = new ConvNetFineTuneModel(conv.model(), head, fromBlock);
                model = convModel;
                changedBackbone.putAll(convModel.backboneTensors());
                optimizer = new AdamW(new AdamW.Settings(s.learningRate(), 0.9, 0.999, 1e-8, s.weightDecay()), manager);
            } else {
                BackboneTuning tuning = new BackboneTuning(s.approach() == Approach.FINETUNE ? BackboneTuning.FINETUNE : BackboneTuning.LNTUNE,
                        s.blocks(), s.trainsTokens());
                VisionTransformer vit = ((Backbone.ViT) backbone).model();
                List<String> names = tuning.parameterNames(vit.config());
                model = new FineTuneModel(vit, head, names, fromBlock);
                names.forEach(k -> changedBackbone.put(k, vit.parameters().get(k)));
                optimizer = new AdamW(new AdamW.Settings(s.learningRate(), 0.9, 0.999, 1e-8, s.weightDecay()), manager);
            }
            try (optimizer) {
                List<String> convUnits = backbone instanceof Backbone.Conv c && s.approach().tunesBackbone()
                        ? c.model().unitNames().subList(fromBlock, c.model().numUnits()) : null;
                return epochs(model, optimizer, head, changedBackbone, convUnits, ref, pre, trainSource, valSource, train, val, skipped, manager);
            }
        }
    }

    private Result epochs(Trainable model, Optimizer optimizer, Head head, Map<String, NDArray> changedBackbone, List<String> convUnits,
                          BackboneRef ref,
                          Preprocessing pre, IntFunction<TrainingData.Source> trainSource, TrainingData.Source valSource,
                          TrainingData.Split train, TrainingData.Split val,
                          List<TrainingData.Skipped> skipped, NDManager manager) {
        Map<String, NDArray> params = model.trainableParameters();
        ObjectNode dataIdentity = dataIdentity(ref, train, val);
        State st = new State();
        Path checkpoint = trainDir.resolve(CHECKPOINT);
        if (Files.exists(checkpoint)) {
            st = restore(checkpoint, params, optimizer, dataIdentity);
            progress.message("resuming after epoch " + st.epochsDone + " (best so far: epoch " + st.bestEpoch + ")");
        }
        int steps = (train.size() + s.batchSize() - 1) / s.batchSize();
        boolean stoppedEarly = st.stopped;
        if (st.epochsDone < s.epochs() && !stoppedEarly) {
            progress.start("training " + s.approach() + " (" + train.size() + " train, " + val.size() + " val images, epochs "
                    + (st.epochsDone + 1) + "-" + s.epochs() + ")", (long) (s.epochs() - st.epochsDone) * steps);
        }
        long stepsDone = 0;
        for (int epoch = st.epochsDone + 1; epoch <= s.epochs() && !stoppedEarly; epoch++) {
            long t0 = System.nanoTime();
            progress.epochStarted(epoch);
            int[] order = RandomStreams.permutation(train.size(), s.seed(), epoch);
            TrainingData.Source source = trainSource.apply(epoch);
            double lossSum = 0;
            for (int step = 0; step < steps; step++) {
                int[] pos = java.util.Arrays.copyOfRange(order, step * s.batchSize(), Math.min(train.size(), (step + 1) * s.batchSize()));
                int[] labels = new int[pos.length];
                for (int i = 0; i < pos.length; i++) {
                    labels[i] = train.labels()[pos[i]];
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray batch = source.batch(train, pos, scope);
                    TrainStep.Result r = TrainStep.run(model, batch, labels, optimizer,
                            RandomStreams.of(s.seed(), RandomStreams.DROPOUT, epoch, step), false, s.approach() == Approach.PROBE ? 0 : MICRO_BATCH);
                    lossSum += r.loss() * pos.length;
                }
                progress.update(++stepsDone, String.format(Locale.ROOT, "epoch %d loss %.4f", epoch, lossSum / Math.min(train.size(),
                        (step + 1) * s.batchSize())));
            }
            Evaluation ev = evaluate(model, valSource, val, manager);
            EpochRecord rec = new EpochRecord(epoch, lossSum / train.size(), ev.loss, ev.metrics.auc(), ev.metrics.eer(), ev.metrics.acc(),
                    (System.nanoTime() - t0) / 1e9);
            st.history.add(rec);
            progress.epochFinished(rec);
            boolean better = st.bestEpoch == 0 || rec.valEer() < st.bestEer;
            if (better) {
                st.bestEpoch = epoch;
                st.bestEer = rec.valEer();
                st.best = Tensors.values(params);
                st.bestScores = ev.scores;
            }
            st.epochsDone = epoch;
            stoppedEarly = s.patience() > 0 && epoch - st.bestEpoch >= s.patience();
            st.stopped = stoppedEarly;
            progress.message(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f, val loss %.4f, val AUC %.4f, EER %.4f%s%s", epoch,
                    s.epochs(), rec.trainLoss(), rec.valLoss(), rec.valAuc(), rec.valEer(), better ? " (best)" : "",
                    stoppedEarly ? "; no better EER for " + s.patience() + " epochs, stopping" : ""));
            save(checkpoint, st, params, optimizer, dataIdentity, skipped);
        }
        if (stepsDone > 0) {
            progress.finish("best epoch " + st.bestEpoch + " of " + st.epochsDone);
        }

        // The detector holds the best epoch's tensors.
        st.best.forEach((k, v) -> Tensors.assign(params.get(k), v));
        double[] scores = new double[st.bestScores.length];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = st.bestScores[i];
        }
        Roc.Eer eer = Roc.of(scores, val.fake()).eer();
        double threshold = Math.min(1, Math.max(0, eer.threshold()));
        BinaryMetrics metrics = BinaryMetrics.compute(scores, val.fake(), threshold);
        ObjectNode manifest = manifest(ref, pre, head, changedBackbone, convUnits, threshold, metrics, st, train, val, skipped);
        try {
            Detector.write(in.out(), manifest, head, changedBackbone);
        } catch (IOException e) {
            throw new UserError(in.out() + ": cannot write the detector (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        List<String> skippedText = skipped.stream().map(k -> k.list() + " " + k.path() + ": " + k.reason()).toList();
        return new Result(in.out(), st.bestEpoch, st.epochsDone, stoppedEarly, metrics, threshold, List.copyOf(st.history), skippedText,
                val.items(), st.bestScores, cacheFillSeconds);
    }

    private record Evaluation(float[] scores, double loss, BinaryMetrics metrics) {}

    private Evaluation evaluate(Trainable model, TrainingData.Source source, TrainingData.Split val, NDManager manager) {
        float[] scores = new float[val.size()];
        double lossSum = 0;
        int batch = Math.max(1, Math.min(s.batchSize(), 64));
        for (int start = 0; start < val.size(); start += batch) {
            int end = Math.min(val.size(), start + batch);
            int[] pos = new int[end - start];
            int[] labels = new int[pos.length];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = start + i;
                labels[i] = val.labels()[start + i];
            }
            try (NDManager scope = manager.newSubManager()) {
                NDArray logits = model.logits(source.batch(val, pos, scope), null);
                lossSum += CrossEntropy.mean(logits, labels).getFloat() * pos.length;
                System.arraycopy(Head.fakeProbability(logits), 0, scores, start, pos.length);
            }
        }
        double[] d = new double[scores.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = scores[i];
        }
        return new Evaluation(scores, lossSum / val.size(), BinaryMetrics.compute(d, val.fake(), BinaryMetrics.DEFAULT_THRESHOLD));
    }

    /** What a resumed run must agree on besides the settings: the backbone bytes and the exact usable items. */
    private ObjectNode dataIdentity(BackboneRef ref, TrainingData.Split train, TrainingData.Split val) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("backbone_sha256", ref.sha256());
        o.put("train", digest(train));
        o.put("val", digest(val));
        return o;
    }

    private static String digest(TrainingData.Split split) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < split.size(); i++) {
            sb.append(split.items().get(i).relativePath()).append(',').append(split.sha256()[i]).append(',').append(split.labels()[i]).append('\n');
        }
        return dev.unmask.core.io.Hashing.sha256(sb.toString());
    }

    /** Training state between epochs. */
    private static final class State {
        int epochsDone;
        int bestEpoch;
        double bestEer = Double.POSITIVE_INFINITY;
        boolean stopped;
        Map<String, float[]> best = new LinkedHashMap<>();
        float[] bestScores = new float[0];
        List<EpochRecord> history = new ArrayList<>();
    }

    private void save(Path checkpoint, State st, Map<String, NDArray> params, Optimizer optimizer, ObjectNode dataIdentity,
                      List<TrainingData.Skipped> skipped) {
        Map<String, SafeTensorsWriter.Tensor> t = new LinkedHashMap<>();
        params.forEach((k, v) -> t.put("param/" + k, new SafeTensorsWriter.Tensor(v.getShape().getShape(), v.toFloatArray())));
        st.best.forEach((k, v) -> t.put("best/" + k, new SafeTensorsWriter.Tensor(params.get(k).getShape().getShape(), v)));
        optimizer.state().forEach((k, v) -> t.put("optimizer/" + k, new SafeTensorsWriter.Tensor(new long[] {v.length}, v)));
        t.put("best_val_scores", new SafeTensorsWriter.Tensor(new long[] {st.bestScores.length}, st.bestScores));
        ObjectNode meta = StrictJson.mapper().createObjectNode();
        meta.put("version", 1);
        meta.set("settings", s.resumeIdentity());
        meta.put("libtorch_threads", threads);
        meta.set("data", dataIdentity);
        meta.put("epochs_done", st.epochsDone);
        meta.put("best_epoch", st.bestEpoch);
        meta.put("best_eer", st.bestEer);
        meta.put("stopped_early", st.stopped);
        meta.set("history", historyJson(st.history));
        try {
            Files.createDirectories(trainDir);
            SafeTensorsWriter.write(checkpoint, t, Map.of(CHECKPOINT_KEY, StrictJson.mapper().writeValueAsString(meta)));
            writeLogs(st, skipped);
        } catch (IOException e) {
            throw new UserError(checkpoint + ": cannot write the checkpoint (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    private State restore(Path checkpoint, Map<String, NDArray> params, Optimizer optimizer, ObjectNode dataIdentity) {
        try (SafeTensors st = SafeTensors.open(checkpoint)) {
            String text = st.metadata().get(CHECKPOINT_KEY);
            if (text == null) {
                throw new UserError(checkpoint + ": not an Unmask training checkpoint");
            }
            JsonNode meta = StrictJson.parse(text, checkpoint.toString());
            // Compared as parsed JSON on both sides (numbers parse back as int/double, not long/float).
            if (!reparsed(s.resumeIdentity()).equals(meta.get("settings"))) {
                throw new UserError(checkpoint + ": was written with other settings (" + StrictJson.oneLine(String.valueOf(meta.get("settings")))
                        + "); resume with the same ones, or delete " + trainDir);
            }
            if (!dataIdentity.equals(meta.get("data"))) {
                throw new UserError(checkpoint + ": was written for another backbone or other train/val images; resume with the same ones, or delete "
                        + trainDir);
            }
            State state = new State();
            state.epochsDone = meta.path("epochs_done").asInt();
            state.bestEpoch = meta.path("best_epoch").asInt();
            state.bestEer = meta.path("best_eer").asDouble();
            state.stopped = meta.path("stopped_early").asBoolean();
            for (JsonNode h : meta.path("history")) {
                state.history.add(new EpochRecord(h.path("epoch").asInt(), h.path("train_loss").asDouble(), h.path("val_loss").asDouble(),
                        h.path("val_auc").asDouble(), h.path("val_eer").asDouble(), h.path("val_acc").asDouble(), h.path("seconds").asDouble()));
            }
            Map<String, float[]> optState = new LinkedHashMap<>();
            for (String name : st.tensors().keySet()) {
                float[] v = st.readFloats(name);
                if (name.startsWith("param/")) {
                    String k = name.substring(6);
                    NDArray p = params.get(k);
                    if (p == null || p.getShape().size() != v.length) {
                        throw new UserError(checkpoint + ": tensor " + name + " does not fit this model");
                    }
                    Tensors.assign(p, v);
                } else if (name.startsWith("best/")) {
                    state.best.put(name.substring(5), v);
                } else if (name.startsWith("optimizer/")) {
                    optState.put(name.substring(10), v);
                } else if (name.equals("best_val_scores")) {
                    state.bestScores = v;
                }
            }
            try {
                optimizer.restore(optState, params);
            } catch (IllegalArgumentException e) {
                throw new UserError(checkpoint + ": " + e.getMessage());
            }
            return state;
        }
    }

    static JsonNode reparsed(JsonNode n) {
        try {
            return StrictJson.parse(StrictJson.mapper().writeValueAsString(n), "settings");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ArrayNode historyJson(List<EpochRecord> history) {
        ArrayNode a = StrictJson.mapper().createArrayNode();
        for (EpochRecord r : history) {
            ObjectNode o = a.addObject();
            o.put("epoch", r.epoch());
            o.put("train_loss", r.trainLoss());
            o.put("val_loss", r.valLoss());
            o.put("val_auc", r.valAuc());
            o.put("val_eer", r.valEer());
            o.put("val_acc", r.valAcc());
            o.put("seconds", r.seconds());
        }
        return a;
    }

    private void writeLogs(State st, List<TrainingData.Skipped> skipped) throws IOException {
        StringBuilder csv = new StringBuilder("epoch,train_loss,val_loss,val_auc,val_eer,val_acc,seconds\n");
        for (EpochRecord r : st.history) {
            csv.append(String.format(Locale.ROOT, "%d,%.8g,%.8g,%.8g,%.8g,%.8g,%.3f%n", r.epoch(), r.trainLoss(), r.valLoss(), r.valAuc(),
                    r.valEer(), r.valAcc(), r.seconds()));
        }
        AtomicFiles.writeString(trainDir.resolve("train_log.csv"), csv.toString());
        ObjectNode log = StrictJson.mapper().createObjectNode();
        log.set("settings", s.toJson());
        log.put("best_epoch", st.bestEpoch);
        log.put("epochs_done", st.epochsDone);
        log.put("stopped_early", st.stopped);
        log.set("epochs", historyJson(st.history));
        ArrayNode sk = log.putArray("skipped");
        for (TrainingData.Skipped k : skipped) {
            sk.addObject().put("list", k.list()).put("path", k.path()).put("reason", k.reason());
        }
        AtomicFiles.writeString(trainDir.resolve("train_log.json"), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(log));
    }

    private ObjectNode manifest(BackboneRef ref, Preprocessing pre, Head head, Map<String, NDArray> changedBackbone, List<String> convUnits,
                                double threshold,
                                BinaryMetrics m, State st, TrainingData.Split train, TrainingData.Split val, List<TrainingData.Skipped> skipped) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("format", Detector.FORMAT);
        o.put("version", Detector.VERSION);
        o.put("approach", s.approach().id());
        ObjectNode settings = s.toJson();
        if (convUnits != null) {
            settings.put("trains_tokens", false);
            ArrayNode units = settings.putArray("trained_units");
            convUnits.forEach(units::add);
            settings.put("batchnorm", "folded into the convolutions at load: the folded weights and biases are trained,"
                    + " BatchNorm statistics and affine parameters frozen (BN in eval mode)");
        }
        o.set("settings", settings);
        o.set("head", Detector.headJson(head.spec()));
        ObjectNode bb = o.putObject("backbone");
        // The pooled variant exists for ConvNets only, and ConvNets have no other (checked before training).
        bb.put("kind", head.spec().variant().forConvNets() ? Backbone.CONVNET : Backbone.VIT);
        bb.put("name", ref.name());
        bb.put("path", ref.dir().toString());
        bb.put("sha256", ref.sha256());
        ArrayNode changed = bb.putArray("changed_tensors");
        changedBackbone.keySet().forEach(changed::add);
        o.set("preprocessing", Detector.preprocessingJson(pre));
        o.put("threshold", threshold);
        o.put("threshold_rule", "score at the validation EER of the best epoch (ROC as scikit-learn, EER as the paper's interpolation)");
        ObjectNode v = o.putObject("validation");
        v.put("best_epoch", st.bestEpoch);
        v.put("epochs_run", st.epochsDone);
        v.put("n", m.n());
        v.put("auc", m.auc());
        v.put("ap", m.ap());
        v.put("eer", m.eer());
        v.put("acc_at_threshold", m.acc());
        v.put("hter_at_threshold", m.hter());
        o.set("training_log", historyJson(TrainingLog.thin(st.history, TrainingLog.MAX_EPOCHS)));
        ObjectNode p = o.putObject("provenance");
        p.set("train", listJson(train, skipped));
        p.set("val", listJson(val, skipped));
        p.put("seed", s.seed());
        p.put("unmask_version", version());
        p.put("djl_version", ai.djl.engine.Engine.getDjlVersion());
        p.put("engine", "PyTorch " + ai.djl.engine.Engine.getInstance().getVersion());
        // Reductions sum in an order set by libtorch's intra-op thread count: the same seed gives the
        // same detector bit for bit with the same count (DEFAULT_THREADS unless --threads said otherwise).
        p.put("libtorch_threads", threads);
        p.put("java", System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        p.put("date", Instant.now().toString());
        p.put("command_line", in.commandLine() == null ? "" : in.commandLine());
        o.set("crop_contract", in.cropContract() == null ? defaultCropContract() : in.cropContract());
        return o;
    }

    private static ObjectNode listJson(TrainingData.Split split, List<TrainingData.Skipped> skipped) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("path", split.list().source().toAbsolutePath().toString());
        o.put("sha256", split.list().sha256());
        o.put("items", split.list().size());
        o.put("used", split.size());
        o.put("fake", java.util.Arrays.stream(split.labels()).filter(l -> l == 1).count());
        o.put("skipped", skipped.stream().filter(k -> k.list().equals(split.name())).count());
        return o;
    }

    /** Nothing is known about how the training faces were cropped unless the user says so. */
    public static ObjectNode defaultCropContract() {
        ObjectNode c = StrictJson.mapper().createObjectNode();
        c.put("declared", false);
        c.put("face_detector", "unknown");
        c.put("margin", "unknown");
        c.put("crop_format", "unknown");
        c.put("resize_kernel", Preprocessing.JAVA2D_BICUBIC + " to the input size when not already that size");
        c.put("image_decoder", "javax.imageio");
        return c;
    }

    static String version() {
        String v = TrainingRun.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
