package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.TestPhotos;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.layers.PositionResampling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learning on real pixels: public-domain / CC0 photos (scikit-image's sample data, Debian
 * package python3-skimage) cut into a self-blended manipulation set ({@link SelfBlendedSet}),
 * train and validation from disjoint halves of each photo, trained end to end through
 * {@code unmask train} on small ViTs with seeded random weights and label-free stems.
 *
 * <p>The photos are fetched by {@code bin/setup-test-data} (run by {@code .ci/run}); point
 * {@code UNMASK_TEST_PHOTOS} at a folder holding them. Without them the test is skipped, unless
 * {@code UNMASK_REQUIRE_PHOTOS=1} (as in CI), where their absence fails it.
 */
class LearningTest {
    static final String[] TRAIN_PHOTOS = {"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"};
    static final int SIZE = 64;
    static final int DEPTH = 4;
    static final Pattern VALIDATION = Pattern.compile("validation AUC ([0-9.]+), EER ([0-9.]+)");

    @TempDir
    static Path dir;
    static Path backbone;
    static Path residualBackbone;
    static Path data;
    static Path train;
    static Path val;

    @BeforeAll
    static void dataSet() throws Exception {
        Path src = TestPhotos.require(TRAIN_PHOTOS);
        List<Path> photos = java.util.Arrays.stream(TRAIN_PHOTOS).map(src::resolve).toList();
        data = dir.resolve("data");
        train = SelfBlendedSet.write(photos, data, "train", true, 300, SIZE, 1);
        val = SelfBlendedSet.write(photos, data, "val", false, 100, SIZE, 2);
        backbone = smallViT(dir.resolve("vit_small_random"), Stem.ZERO_MEAN);
        residualBackbone = smallViT(dir.resolve("vit_small_random_residual"), Stem.RESIDUAL);
    }

    /** How the seeded random patch-embedding filters are made to see this manipulation's cue; both label-free. */
    enum Stem {
        /**
         * Each filter made zero-mean (×3), a high-pass stem: with the mean colour of each patch in
         * the embedding, LayerNorm lets it drown the local noise statistics this manipulation set
         * differs in, and nothing learned (AUC 0.55 after 10 epochs of Approach 2 with k = 2).
         */
        ZERO_MEAN,
        /**
         * Each filter a random projection of the patch's residual, each pixel minus the mean of
         * its 4-neighbours inside the patch, per channel (a finite-difference filter like the SRM
         * filters of forensic detectors), ×6. The residual keeps the camera noise and fine detail
         * that the blurred or resampled centre of a fake lacks, and drops the patch's mean colour
         * and smooth gradients. LayerNorm removes each token's scale, so the noise level survives
         * only as the token's size relative to its position embedding: the gain of 6 makes the two
         * of similar size at the added noise (σ ≈ 4/255, estimated). Gains 3, 6 and 12 all gave
         * the probe on all_last validation AUC 0.96.
         */
        RESIDUAL
    }

    /** A DINOv2-style ViT (width 96, depth 4, patch 8, 64 px) with seeded random weights and the given stem. */
    static Path smallViT(Path out, Stem stem) throws Exception {
        int dim = 96;
        int patch = 8;
        ViTConfig cfg = ViTConfig.builder().family("dinov2").embedDim(dim).depth(DEPTH).numHeads(4).mlpHidden(dim * 4).patchSize(patch)
                .positionsTrainedAt(SIZE).layerScale(true).resampling(PositionResampling.DINOV2).imageSize(SIZE).build();
        Map<String, float[]> w = RandomWeights.vit(cfg, 7);
        float[] k = w.get("patch_embed.proj.weight");
        switch (stem) {
            case ZERO_MEAN -> zeroMeanStem(k, patch, 3);
            case RESIDUAL -> residualStem(k, patch, 6);
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("config.json"), String.format(Locale.ROOT,
                "{\"architecture\": \"dinov2_vits14\", \"num_classes\": 0, \"model_args\": {\"img_size\": %d, \"patch_size\": %d,"
                        + " \"embed_dim\": %d, \"depth\": %d, \"num_heads\": 4}}", SIZE, patch, dim, DEPTH));
        SafeTensorsWriter.write(out.resolve("model.safetensors"), RandomWeights.asTensors(cfg, w), Map.of("format", "pt"));
        return out;
    }

    /** Each filter r (one [patch×patch] slice per output and channel) replaced in place by {@code gain·(r − mean r)}. */
    static void zeroMeanStem(float[] kernels, int patch, double gain) {
        int per = patch * patch;
        for (int f = 0; f < kernels.length / per; f++) {
            double mean = 0;
            for (int i = 0; i < per; i++) {
                mean += kernels[f * per + i];
            }
            mean /= per;
            for (int i = 0; i < per; i++) {
                kernels[f * per + i] = (float) ((kernels[f * per + i] - mean) * gain);
            }
        }
    }

    /**
     * Replaces each filter r (one [patch×patch] slice per output and channel) by {@code gain·rᵀL}
     * in place, where L maps a patch to its residual: the filter then sees only {@code L·x}.
     */
    static void residualStem(float[] kernels, int patch, double gain) {
        int per = patch * patch;
        double[][] residual = new double[per][per];
        for (int y = 0; y < patch; y++) {
            for (int x = 0; x < patch; x++) {
                int i = y * patch + x;
                List<Integer> neighbours = new ArrayList<>();
                if (x > 0) {
                    neighbours.add(i - 1);
                }
                if (x < patch - 1) {
                    neighbours.add(i + 1);
                }
                if (y > 0) {
                    neighbours.add(i - patch);
                }
                if (y < patch - 1) {
                    neighbours.add(i + patch);
                }
                residual[i][i] = 1;
                for (int j : neighbours) {
                    residual[i][j] -= 1.0 / neighbours.size();
                }
            }
        }
        double[] r = new double[per];
        for (int f = 0; f < kernels.length / per; f++) {
            for (int i = 0; i < per; i++) {
                r[i] = kernels[f * per + i];
            }
            for (int j = 0; j < per; j++) {
                double sum = 0;
                for (int i = 0; i < per; i++) {
                    sum += r[i] * residual[i][j];
                }
                kernels[f * per + j] = (float) (sum * gain);
            }
        }
    }

    record Outcome(double auc, double eer, String log) {}

    static Outcome train(String name, Path vit, Path trainList, String... settings) {
        List<String> a = new ArrayList<>(List.of("train", "--backbone", vit.toString(), "--train", trainList.toString(),
                "--val", val.toString(), "--root", data.toString(), "--out", dir.resolve(name + ".unmask").toString(),
                "--cache", dir.resolve("cache").toString(), "--image-size", Integer.toString(SIZE), "--patience", "0", "--seed", "3"));
        a.addAll(List.of(settings));
        long t0 = System.nanoTime();
        CliRun r = CliRun.of(a.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        Matcher m = VALIDATION.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        System.out.printf(Locale.ROOT, "%-34s validation AUC %s, EER %s (%.0f s)%n", name, m.group(1), m.group(2), (System.nanoTime() - t0) / 1e9);
        return new Outcome(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), r.err());
    }

    /**
     * Approach 2, the paper's partial fine-tuning (last 3 blocks + final norm + head, AdamW) from
     * the frozen-prefix cache, on the zero-mean stem. On the residual stem it learns more (AUC
     * 0.99 at lr 1e-3 and at 1e-4), but its shuffled control no longer holds: with shuffled
     * labels the validation AUC swings in the first epochs, to 0.75 with shuffle seed 99 and to
     * 0.35 with another, before settling near 0.5 (the tuned blocks move along the direction in
     * which the classes differ, with a sign the shuffle sets), and the epoch of best validation
     * EER lands on such a swing: 0.75, 0.57 and 0.52 with three shuffles at lr 1e-3, 0.65 with
     * seed 99 at 1e-4. So fine-tuning stays on the stem whose control holds.
     */
    @Test
    void partialFineTuningLearnsTheManipulationAndShuffledLabelsDoNot() throws Exception {
        String[] settings = {"--approach", "finetune", "--blocks", "3", "--epochs", "10", "--batch", "32", "--lr", "1e-3",
            "--cache-precision", "f32"};
        Outcome real = train("finetune_k3", backbone, train, settings);
        assertThat(real.auc()).isGreaterThanOrEqualTo(0.9);
        Outcome shuffled = train("finetune_k3_shuffled", backbone, SelfBlendedSet.shuffledLabels(train, 99), settings);
        assertThat(shuffled.auc()).isBetween(0.35, 0.65);
    }

    /**
     * Approach 1 on a frozen random backbone with the residual stem ({@link Stem#RESIDUAL}), with
     * the paper's SGD learning rate. A linear head on all tokens of the last block can weigh the
     * centre's tokens against the border's, which is where this manipulation shows; a CLS token
     * mixes them first.
     *
     * <p>Measured on this data (validation AUC; the shuffled control with the same settings):
     * <table>
     * <caption>Probe settings tried</caption>
     * <tr><th>stem</th><th>features, head</th><th>SGD lr, epochs, batch</th><th>AUC</th><th>shuffled</th></tr>
     * <tr><td>zero-mean random, ×3</td><td>cls_concat_4</td><td>1e-2, 30, 32</td><td>0.66</td><td></td></tr>
     * <tr><td>zero-mean random, ×3</td><td>cls_concat_4</td><td>1e-3, 30, 32</td><td>0.61</td><td></td></tr>
     * <tr><td>zero-mean random, ×3</td><td>all_last</td><td>1e-2, 30, 32</td><td>0.73</td><td></td></tr>
     * <tr><td>zero-mean random, ×3</td><td>all_last</td><td>1e-3, 30, 32</td><td>0.71</td><td></td></tr>
     * <tr><td>residual, ×6</td><td>cls_concat_4</td><td>1e-2, 30, 32</td><td>0.86</td><td>0.57</td></tr>
     * <tr><td>residual, ×6</td><td>cls_concat_4</td><td>1e-3, 30, 32</td><td>0.78</td><td></td></tr>
     * <tr><td>residual, ×6</td><td>all_ws_4</td><td>1e-2 / 1e-3, 30, 32</td><td>0.96 / 0.96</td><td></td></tr>
     * <tr><td>residual, ×3 / ×12</td><td>all_last</td><td>1e-2, 30, 32</td><td>0.96 / 0.97</td><td></td></tr>
     * <tr><td>residual, ×6</td><td>all_last</td><td>1e-2, 30, 32</td><td>0.97</td><td>0.65; 0.56–0.64 with three other shuffles</td></tr>
     * <tr><td>residual, ×6</td><td>all_last</td><td>1e-3, 30, 32</td><td>0.96</td><td>0.52; 0.50–0.51 with three other shuffles</td></tr>
     * <tr><td>residual, ×6</td><td>all_last</td><td>1e-4, 30, 32</td><td>0.95</td><td>0.50; 0.49</td></tr>
     * <tr><td>residual, ×6</td><td>all_last</td><td>1e-3, 30, 256</td><td>0.95</td><td>0.51; 0.50</td></tr>
     * <tr><td>residual, ×6</td><td>all_last, MLP</td><td>1e-3, 30, 32</td><td>0.97</td><td></td></tr>
     * <tr><td>residual, ×6</td><td>all_dropout_concat_4</td><td>1e-3, 2, 32</td><td>0.97</td><td></td></tr>
     * </table>
     * At lr 1e-2 the head's logits swing from epoch to epoch (training loss 5 in the first
     * epoch), each epoch's validation AUC with shuffled labels ranges over 0.29–0.64, and picking
     * the epoch of best validation EER then lifts the control above chance; at the paper's 1e-3
     * it stays at chance. Earlier, with the zero-mean stem: cls_*, all_last, all_ws_4 and an MLP
     * head gave 0.64–0.78; the per-token projection of all_dropout_concat_4 reached 0.85 after 8
     * epochs but took 9 minutes. Profiled: per batch of 32 its dropout mask (266,240 values per
     * image) took 190–290 ms against 120–220 ms for the head's forward and backward; drawing it
     * faster brought that to 100–140 ms (shared 2-core machine), and all_last needs no such head.
     *
     * <p>Tried and left out: a backbone "pretrained" by Approach 2 on another photo (camera.png,
     * then written out as a model folder and frozen) lifts the probe to AUC 0.82, but the same
     * probe with shuffled labels then reaches 0.77: fine-tuning makes fake-vs-real one of the
     * features' largest directions of variance, and a head fitted to noise lands on it too. A
     * control that cannot tell learning from chance proves nothing, so the frozen backbone here
     * stays label-free.
     */
    @Test
    void probeOnAFrozenRandomBackboneLearnsTheManipulationAndShuffledLabelsDoNot() throws Exception {
        String[] settings = {"--approach", "probe", "--features", "all_last", "--epochs", "30", "--batch", "32", "--lr", "1e-3"};
        Outcome real = train("probe_all_last", residualBackbone, train, settings);
        assertThat(real.auc()).isGreaterThanOrEqualTo(0.9);
        Outcome shuffled = train("probe_all_last_shuffled", residualBackbone, SelfBlendedSet.shuffledLabels(train, 99), settings);
        assertThat(shuffled.auc()).isBetween(0.35, 0.65);
        assertThat(shuffled.log()).contains("all 3200 records present");
    }
}
