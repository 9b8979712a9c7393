package dev.unmask.api;

import java.nio.file.Path;

/**
 * A training run as a user asks for it; a null setting takes the paper's default for the chosen
 * approach and backbone (see {@link Training#settings}).
 *
 * @param backbone      a model folder (config.json + model.safetensors) or a pulled registry name
 * @param approach      probe, finetune or lntune
 * @param features      head input variant (null: cls_concat_4 for probe, cls_last otherwise; pooled for ConvNets)
 * @param head          linear or mlp
 * @param train         training datalist or folder with real/ and fake/
 * @param val           validation datalist: picks the best epoch and the threshold
 * @param root          folder the list paths are relative to
 * @param allowLinksOutsideRoot let list items be symlinks to files outside the root
 * @param out           the detector file to write (NAME.unmask); checkpoint and logs go to NAME.unmask.train/
 * @param cache         feature / prefix cache folder (null: $UNMASK_HOME/cache)
 * @param cropContract  how the training faces were cropped (an extract.json or a contract), stored in the detector
 * @param augment       augmentation spec such as flip,jpeg=60-95 (null: none, as the paper)
 * @param cachePrecision f16 or f32 (null: f32 for CLS features, f16 for all-token features and prefixes)
 * @param commandLine   how the run was asked for, kept in the detector's provenance
 * @param threads       libtorch intra-op threads (null: the resumed run's, else a fixed default, so that the
 *                      same seed gives the same detector on any machine)
 */
public record TrainRequest(String backbone, String approach, String features, String head, int mlpHidden, float mlpDropout, int blocks,
        boolean noPrefixCache, String augment, String cachePrecision, int imageSize, Integer epochs, Integer batch, Double learningRate,
        Double weightDecay, int patience, long seed, Path train, Path val, Path root, boolean allowLinksOutsideRoot, Path out, Path cache, Path cropContract, boolean resume,
        String commandLine, Integer threads) {

    /** A request with the default thread count. */
    public TrainRequest(String backbone, String approach, String features, String head, int mlpHidden, float mlpDropout, int blocks,
            boolean noPrefixCache, String augment, String cachePrecision, int imageSize, Integer epochs, Integer batch, Double learningRate,
            Double weightDecay, int patience, long seed, Path train, Path val, Path root, boolean allowLinksOutsideRoot, Path out, Path cache,
            Path cropContract, boolean resume, String commandLine) {
        this(backbone, approach, features, head, mlpHidden, mlpDropout, blocks, noPrefixCache, augment, cachePrecision, imageSize, epochs, batch,
                learningRate, weightDecay, patience, seed, train, val, root, allowLinksOutsideRoot, out, cache, cropContract, resume, commandLine, null);
    }

    /** The paper's defaults: a probe on cls_concat_4 with a linear head at 224 px, patience 10, seed 0. */
    public static TrainRequest of(String backbone, Path train, Path val, Path root, Path out) {
        return new TrainRequest(backbone, "probe", null, "linear", 1024, 0f, 1, false, null, null, 224, null, null, null, null, 10, 0, train, val,
                root, false, out, null, null, false, "");
    }
}
