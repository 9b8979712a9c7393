package dev.unmask.cli;

import dev.unmask.api.TrainReport;
import dev.unmask.api.TrainRequest;
import dev.unmask.api.Training;
import dev.unmask.core.UserError;
import dev.unmask.core.detector.TrainingLog;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.train.Progress;
import dev.unmask.core.train.TrainingRun;
import dev.unmask.media.extract.Extractor;
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

    // Its default is the initial value, not defaultValue: picocli applies a defaultValue after
    // parsing to options not given, which would undo the hidden --image-size below.
    @Option(names = "--size", paramLabel = "PX", description = "Input side (multiple of the patch size). Default: ${DEFAULT-VALUE}.")
    int imageSize = 224;

    @Option(names = "--image-size", hidden = true, paramLabel = "PX", description = "Old name of --size.")
    void oldImageSize(int value) {
        imageSize = value;
    }

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

    @Option(names = "--out", required = true, paramLabel = "FILE.unmask",
            description = "The detector file to write (a detector is one file; other commands' --out is a folder). Its checkpoint"
                    + " and logs go beside it, to FILE.unmask.train/.")
    Path out;

    @Option(names = "--cache", paramLabel = "DIR", description = "Feature / prefix cache folder. Default: $UNMASK_HOME/cache.")
    Path cache;

    @Option(names = "--resume", description = "Continue the run whose checkpoint is in FILE.unmask.train/.")
    boolean resume;

    @Option(names = "--crop-contract", paramLabel = "FILE.json",
            description = "How the training faces were cropped (a crop contract, or unmask extract's extract.json), stored in the detector."
                    + " Default: the extract.json next to the training list or under --root, when there.")
    Path cropContract;

    @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of --root (or the data folder);"
            + " without it such an item is refused, as a path with .. is.")
    boolean allowLinksOutsideRoot;

    @Option(names = "--threads", paramLabel = "N", description = {"libtorch threads for training. Default: the resumed run's, else "
            + TrainingRun.DEFAULT_THREADS + " whatever the machine: the count sets the last bits of every sum, so the same seed and threads"
            + " give the same detector bit for bit."})
    Integer threads;

    @Option(names = "--json", description = "Print the training report as JSON (detector, best epoch, validation metrics, history) instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        TrainRequest request = new TrainRequest(backbone, approach, features, head, mlpHidden, mlpDropout, blocks, noPrefixCache, augment,
                cachePrecision, imageSize, epochs, batch, lr, weightDecay, patience, seed, train, val, root, allowLinksOutsideRoot, out, cache, cropContract, resume,
                String.join(" ", spec.commandLine().getParseResult().originalArgs()), threads);
        Progress progress = Progress.console(spec.commandLine().getErr(), System.console() != null);
        TrainReport r = Training.run(request, progress);
        Path curves = TrainingRun.trainingDirectory(out).resolve(EvalPlots.TRAINING_PNG);
        try {
            EvalPlots.writeTraining(curves.getParent(), r.history().stream().map(h -> new TrainingLog.Epoch(h.epoch(), h.trainLoss(),
                    h.valLoss(), h.valAuc(), h.valEer(), h.valAcc(), h.seconds())).toList());
        } catch (java.io.IOException e) {
            throw new UserError(curves + ": cannot write the training curves (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        var o = spec.commandLine().getOut();
        if (json) {
            o.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
            o.flush();
            return 0;
        }
        o.printf(Locale.ROOT, "detector   %s%n", r.detector());
        o.printf(Locale.ROOT, "best epoch %d of %d%s%n", r.bestEpoch(), r.epochsRun(), r.stoppedEarly() ? " (stopped early)" : "");
        o.printf(Locale.ROOT, "validation AUC %.4f, EER %.4f, threshold %.6f (at the EER), acc %.4f%n", r.validation().auc(), r.validation().eer(),
                r.threshold(), r.validation().acc());
        if (!r.skipped().isEmpty()) {
            o.printf(Locale.ROOT, "skipped    %d images (listed in %s)%n", r.skipped().size(),
                    TrainingRun.trainingDirectory(out).resolve("train_log.json"));
        }
        o.printf(Locale.ROOT, "log        %s%n", r.log());
        o.printf(Locale.ROOT, "curves     %s%n", curves);
        o.flush();
        // Said once training is done (a refused run keeps its one-line error), where the summary is read.
        if (cropContract == null) {
            spec.commandLine().getErr().println(r.cropContract() != null
                    ? "crop contract: " + r.cropContract() + " (the extraction the training list came from; --crop-contract overrides)"
                    : "warning: no crop contract (no --crop-contract, and no " + Extractor.SETTINGS + " next to the training list or under"
                            + " --root): detect will refuse this detector unless run with --assume-crop; pass --crop-contract EXTRACT_DIR/"
                            + Extractor.SETTINGS + " to record how the faces were cropped");
            spec.commandLine().getErr().flush();
        }
        return 0;
    }
}
