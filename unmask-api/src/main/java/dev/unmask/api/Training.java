package dev.unmask.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Augmentation;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.train.Approach;
import dev.unmask.core.train.Progress;
import dev.unmask.core.train.TrainSettings;
import dev.unmask.core.train.FrozenPart;
import dev.unmask.core.train.TrainingRun;
import dev.unmask.media.extract.Extractor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a detector with either of the paper's approaches: Approach 1 (probe: frozen backbone,
 * head on cached features, SGD) or Approach 2 (finetune: last k blocks + final norm + head,
 * AdamW; lntune: only the LayerNorms of the last k blocks). Progress goes to the listener given;
 * nothing is printed. Training steps record gradients, which the engine allows one thread at a
 * time: concurrent runs take turns step by step inside the library.
 */
public final class Training {
    private Training() {}

    /** Runs (or, with {@link TrainRequest#resume()}, continues) the training and writes the detector file. */
    public static TrainReport run(TrainRequest r, Progress progress) {
        Unmask.configureEngine();
        Path dir = Models.resolve(r.backbone());
        TrainSettings s = settings(r, ModelDirectory.open(dir).isConvNet());
        if (r.out().getFileName() == null || !r.out().getFileName().toString().endsWith(".unmask")) {
            throw new UserError("--out should name a file ending in .unmask (got " + r.out() + ")");
        }
        if (Files.isDirectory(r.out())) {
            throw new UserError(r.out() + " is a folder; --out names the detector file to write");
        }
        Datalist trainList = Datalist.read(r.train(), r.root(), r.allowLinksOutsideRoot());
        Datalist valList = Datalist.read(r.val(), r.root(), r.allowLinksOutsideRoot());
        ObjectNode crop = null;
        Path contractFile = r.cropContract() != null ? r.cropContract() : extractionSettings(r.train(), r.root());
        if (contractFile != null) {
            JsonNode c = StrictJson.read(contractFile);
            if (!c.isObject()) {
                throw new UserError(contractFile + ": the crop contract must be a JSON object");
            }
            if (r.cropContract() == null && !c.path("crop_contract").isObject()) {
                throw new UserError(contractFile + ": an extraction's settings without a crop_contract; pass --crop-contract FILE.json");
            }
            crop = (ObjectNode) c;
            crop.put("declared", true);
        }
        Path cacheRoot = r.cache() != null ? r.cache() : BuiltinModels.home().resolve("cache");
        TrainingRun.Result t = TrainingRun.run(s, new TrainingRun.Inputs(dir, trainList, valList, r.out(), cacheRoot, crop, r.commandLine()),
                r.resume(), progress, FrozenPart.CACHED, r.threads());
        return new TrainReport(Unmask.SCHEMA_VERSION, t.detector().toString(), t.bestEpoch(), t.epochsRun(), t.stoppedEarly(), t.threshold(),
                new TrainReport.Validation(t.validation().auc(), t.validation().eer(), t.validation().acc()),
                t.history().stream().map(h -> new TrainReport.Epoch(h.epoch(), h.trainLoss(), h.valLoss(), h.valAuc(), h.valEer(), h.valAcc(),
                        h.seconds())).toList(), t.skipped(), TrainingRun.trainingDirectory(r.out()).resolve("train_log.csv").toString(),
                contractFile == null ? null : contractFile.toString());
    }

    /**
     * The settings file of the {@code unmask extract} run that made the training list, when it is
     * there: next to the list (or in the folder given as the list), else at the top of {@code root}.
     */
    public static Path extractionSettings(Path trainList, Path root) {
        List<Path> candidates = new ArrayList<>();
        if (Files.isDirectory(trainList)) {
            candidates.add(trainList.resolve(Extractor.SETTINGS));
        } else if (trainList.toAbsolutePath().getParent() != null) {
            candidates.add(trainList.toAbsolutePath().getParent().resolve(Extractor.SETTINGS));
        }
        if (root != null) {
            candidates.add(root.resolve(Extractor.SETTINGS));
        }
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    /** The settings a request asks for, with the paper's defaults for what it leaves open. */
    public static TrainSettings settings(TrainRequest r, boolean convNet) {
        Approach a = Approach.parse(r.approach());
        FeatureVariant variant = FeatureVariant.parse(r.features() != null ? r.features()
                : convNet ? FeatureVariant.POOLED.id() : a == Approach.PROBE ? "cls_concat_4" : "cls_last");
        HeadSpec.Kind kind = HeadSpec.Kind.parse(r.head());
        boolean prefixCache = a != Approach.PROBE && !r.noPrefixCache();
        boolean half;
        if (r.cachePrecision() == null) {
            half = variant.allTokens() || a != Approach.PROBE;
        } else {
            half = switch (r.cachePrecision().toLowerCase(Locale.ROOT)) {
                case "f16" -> true;
                case "f32" -> false;
                default -> throw new UserError("--cache-precision must be f16 or f32");
            };
        }
        if (a == Approach.PROBE && r.noPrefixCache()) {
            throw new UserError("--no-prefix-cache is for finetune and lntune; the probe always caches features");
        }
        TrainSettings d = TrainSettings.defaults(a, variant, r.blocks());
        return new TrainSettings(a, variant, kind, kind == HeadSpec.Kind.MLP ? r.mlpHidden() : 0, kind == HeadSpec.Kind.MLP ? r.mlpDropout() : 0f,
                a == Approach.PROBE ? 0 : r.blocks(), prefixCache, half, r.imageSize(), r.epochs() != null ? r.epochs() : d.epochs(),
                r.batch() != null ? r.batch() : d.batchSize(), r.learningRate() != null ? r.learningRate() : d.learningRate(),
                r.weightDecay() != null ? r.weightDecay() : d.weightDecay(), r.patience(), r.seed(), Augmentation.parse(r.augment()));
    }
}
