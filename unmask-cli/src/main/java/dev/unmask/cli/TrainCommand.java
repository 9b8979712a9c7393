package dev.unmask.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Augmentation;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.detector.TrainingLog;
import dev.unmask.core.head.FeatureVariant;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.Progress;
import dev.unmask.core.train.TrainSettings;
import dev.unmask.core.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask train}: the paper's two approaches, from labelled face crops to a detector file. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a deepfake detector on a backbone and write it as one NAME.unmask file.",
            "probe: frozen backbone + head on cached features (SGD), for ViTs and ConvNets; finetune (ViTs): last k blocks + final norm + CLS/register tokens"
                    + " + head (AdamW); lntune (ViTs): LayerNorms of the last k blocks + final norm + head (AdamW).",
            "finetune on a ConvNet: the last k units (each stage - EfficientNet blocks.i, Xception blockN - then the head convolutions,"
                    + " conv_head or conv3+conv4) + head (AdamW); BatchNorm is folded into the convolutions, so it stays frozen"
                    + " (statistics and affine) while the folded weights and biases train.",
            "Lists are the paper's datalists (relative_path,label under --root; 0 real, >=1 fake) or folders with real/ and fake/."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backbone", required = true, paramLabel = "DIR|NAME",
            description = "Backbone: a model directory (config.json + model.safetensors) or a pulled registry name; a ViT, or a ConvNet"
                    + " (EfficientNet, EfficientNetV2, Xception) for --approach probe or finetune.")
    String backbone;

    @Option(names = "--approach", defaultValue = "probe", paramLabel = "probe|finetune|lntune", description = "Default: ${DEFAULT-VALUE}.")
    String approach;

    @Option(names = "--features", paramLabel = "VARIANT",
            description = "ViTs: cls_last, cls_concat_4, cls_ws_4, all_last, all_ws_4, all_dropout_ws_4, all_dropout_concat_4"
                    + " (default: cls_concat_4 for probe, cls_last otherwise); ConvNets: pooled (the last map, global-average-pooled).")
    String features;

    @Option(names = "--head", defaultValue = "linear", paramLabel = "linear|mlp", description = "Default: ${DEFAULT-VALUE}.")
    String head;

    @Option(names = "--mlp-hidden", defaultValue = "1024", paramLabel = "N", description = "Hidden width of --head mlp. Default: ${DEFAULT-VALUE}.")
    int mlpHidden;

    @Option(names = "--mlp-dropout", defaultValue = "0.0", paramLabel = "P", description = "Dropout after the MLP's hidden layer. Default: ${DEFAULT-VALUE}.")
    float mlpDropout;

    @Option(names = "--blocks", defaultValue = "1", paramLabel = "K", description = "finetune/lntune: train the last K blocks (ConvNets: the last K units, the head"
            + " convolutions counting as one). Default: ${DEFAULT-VALUE}.")
    int blocks;

    @Option(names = "--no-prefix-cache", description = {"finetune/lntune: recompute the frozen blocks every epoch instead of caching their output"
            + " once per image; finetune then also trains the CLS and register tokens, as the paper does (ConvNets: the frozen"
            + " stem and stages are recomputed without gradients; the trained set stays the same)."})
    boolean noPrefixCache;

    @Option(names = "--augment", paramLabel = "SPEC",
            description = {"Augment training images (validation images never): comma-separated flip (mirror, p 0.5), colour=S"
                    + " (brightness/contrast/saturation factors in [1-S, 1+S]), blur=LO-HI (Gaussian sigma in pixels), jpeg=LO-HI"
                    + " (re-encode at a quality drawn from the range), e.g. flip,jpeg=60-95,blur=0-1.5,colour=0.2. Off by default, as in the"
                    + " paper. Draws come from (seed, epoch, item). With it the caches no longer apply to training images: the probe"
                    + " recomputes the backbone's features every epoch, finetune/lntune recompute the frozen prefix without gradients"
                    + " every step (same trained set). Validation images keep their cache."})
    String augment;

    @Option(names = "--cache-precision", paramLabel = "f16|f32",
            description = "Storage of cached features / prefix tokens (default: f32 for CLS features, f16 for all-token features and prefixes).")
    String cachePrecision;

    @Option(names = "--image-size", defaultValue = "224", paramLabel = "N", description = "Input side (multiple of the patch size). Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--epochs", paramLabel = "N", description = "Default: 100 for probe, 20 otherwise.")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "N", description = "Default: 256 for probe, 128 otherwise (the paper's).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "LR", description = "Default: 1e-3 (SGD) for probe, 1e-4 (AdamW) otherwise.")
    Double lr;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW decoupled weight decay. Default: 0.04.")
    Double weightDecay;

    @Option(names = "--patience", defaultValue = "10", paramLabel = "N", description = "Stop after N epochs without a better validation EER (0: never). Default: ${DEFAULT-VALUE}.")
    int patience;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of head init, shuffling and dropout. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--train", required = true, paramLabel = "LIST|DIR", description = "Training list (or folder with real/ and fake/).")
    Path train;

    @Option(names = "--val", required = true, paramLabel = "LIST|DIR", description = "Validation list: picks the best epoch and the threshold.")
    Path val;

    @Option(names = "--root", paramLabel = "DIR", description = "Folder the list paths are relative to.")
    Path root;

    @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of --root (or the data folder);"
            + " without it such an item is refused, as a path with .. is.")
    boolean allowLinksOutsideRoot;

    @Option(names = "--out", required = true, paramLabel = "D.unmask", description = "Detector file to write; checkpoint and logs go to D.unmask.train/.")
    Path out;

    @Option(names = "--cache", paramLabel = "DIR", description = "Feature / prefix cache folder. Default: $UNMASK_HOME/cache.")
    Path cache;

    @Option(names = "--resume", description = "Continue the run whose checkpoint is in D.unmask.train/.")
    boolean resume;

    @Option(names = "--crop-contract", paramLabel = "FILE.json",
            description = "How the training faces were cropped (face_detector, margin, crop_format, ...), stored in the detector.")
    Path cropContract;

    @Override
    public Integer call() {
        Approach a = Approach.parse(approach);
        Path dir = ModelArgument.resolve(backbone);
        boolean convNet = ModelDirectory.open(dir).isConvNet();
        FeatureVariant variant = FeatureVariant.parse(features != null ? features
                : convNet ? FeatureVariant.POOLED.id() : a == Approach.PROBE ? "cls_concat_4" : "cls_last");
        HeadSpec.Kind kind = HeadSpec.Kind.parse(head);
        boolean prefixCache = a != Approach.PROBE && !noPrefixCache;
        boolean half;
        if (cachePrecision == null) {
            half = variant.allTokens() || a != Approach.PROBE;
        } else {
            half = switch (cachePrecision.toLowerCase(Locale.ROOT)) {
                case "f16" -> true;
                case "f32" -> false;
                default -> throw new UserError("--cache-precision must be f16 or f32");
            };
        }
        if (a == Approach.PROBE && noPrefixCache) {
            throw new UserError("--no-prefix-cache is for finetune and lntune; the probe always caches features");
        }
        if (out.getFileName() == null || !out.getFileName().toString().endsWith(".unmask")) {
            throw new UserError("--out should name a file ending in .unmask (got " + out + ")");
        }
        if (Files.isDirectory(out)) {
            throw new UserError(out + " is a folder; --out names the detector file to write");
        }
        TrainSettings d = TrainSettings.defaults(a, variant, blocks);
        TrainSettings s = new TrainSettings(a, variant, kind, kind == HeadSpec.Kind.MLP ? mlpHidden : 0, kind == HeadSpec.Kind.MLP ? mlpDropout : 0f,
                a == Approach.PROBE ? 0 : blocks, prefixCache, half, imageSize, epochs != null ? epochs : d.epochs(),
                batch != null ? batch : d.batchSize(), lr != null ? lr : d.learningRate(), weightDecay != null ? weightDecay : d.weightDecay(),
                patience, seed, Augmentation.parse(augment));
        Datalist trainList = Datalist.read(train, root, allowLinksOutsideRoot);
        Datalist valList = Datalist.read(val, root, allowLinksOutsideRoot);
        ObjectNode crop = null;
        if (cropContract != null) {
            JsonNode c = StrictJson.read(cropContract);
            if (!c.isObject()) {
                throw new UserError(cropContract + ": the crop contract must be a JSON object");
            }
            crop = (ObjectNode) c;
            crop.put("declared", true);
        }
        Path cacheRoot = cache != null ? cache : BuiltinModels.home().resolve("cache");
        Progress progress = Progress.console(spec.commandLine().getErr(), System.console() != null);
        TrainingRun.Result r = TrainingRun.run(s, new TrainingRun.Inputs(dir, trainList, valList, out, cacheRoot, crop,
                String.join(" ", spec.commandLine().getParseResult().originalArgs())), resume, progress);
        var o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "detector   %s%n", r.detector());
        o.printf(Locale.ROOT, "best epoch %d of %d%s%n", r.bestEpoch(), r.epochsRun(), r.stoppedEarly() ? " (stopped early)" : "");
        o.printf(Locale.ROOT, "validation AUC %.4f, EER %.4f, threshold %.6f (at the EER), acc %.4f%n", r.validation().auc(), r.validation().eer(),
                r.threshold(), r.validation().acc());
        if (!r.skipped().isEmpty()) {
            o.printf(Locale.ROOT, "skipped    %d images (listed in %s)%n", r.skipped().size(),
                    TrainingRun.trainingDirectory(out).resolve("train_log.json"));
        }
        o.printf(Locale.ROOT, "log        %s%n", TrainingRun.trainingDirectory(out).resolve("train_log.csv"));
        Path curves = TrainingRun.trainingDirectory(out).resolve(EvalPlots.TRAINING_PNG);
        try {
            EvalPlots.writeTraining(curves.getParent(), r.history().stream().map(h -> new TrainingLog.Epoch(h.epoch(), h.trainLoss(),
                    h.valLoss(), h.valAuc(), h.valEer(), h.valAcc(), h.seconds())).toList());
        } catch (java.io.IOException e) {
            throw new UserError(curves + ": cannot write the training curves (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        o.printf(Locale.ROOT, "curves     %s%n", curves);
        o.flush();
        return 0;
    }
}
