package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learning on real pixels: public-domain / CC0 photos (scikit-image's sample data, Debian
 * package python3-skimage) cut into a self-blended manipulation set ({@link SelfBlendedSet}),
 * train and validation from disjoint halves of each photo, trained end to end through
 * {@code unmask train} on a small ViT with seeded random weights.
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
    static Path data;
    static Path train;
    static Path val;

    static Path photos() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("UNMASK_TEST_PHOTOS");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("/usr/lib/python3/dist-packages/skimage/data"));
        candidates.add(Path.of(System.getProperty("user.home"), ".cache", "unmask", "test-data", "skimage"));
        for (Path c : candidates) {
            if (java.util.Arrays.stream(TRAIN_PHOTOS).allMatch(p -> Files.isRegularFile(c.resolve(p)))) {
                return c;
            }
        }
        String why = "real photos not found in " + candidates + "; run bin/setup-test-data (Debian python3-skimage)";
        if ("1".equals(System.getenv("UNMASK_REQUIRE_PHOTOS"))) {
            throw new AssertionError(why);
        }
        Assumptions.abort(why);
        return null;
    }

    @BeforeAll
    static void dataSet() throws Exception {
        Path src = photos();
        List<Path> photos = java.util.Arrays.stream(TRAIN_PHOTOS).map(src::resolve).toList();
        data = dir.resolve("data");
        train = SelfBlendedSet.write(photos, data, "train", true, 300, SIZE, 1);
        val = SelfBlendedSet.write(photos, data, "val", false, 100, SIZE, 2);
        backbone = smallViT(dir.resolve("vit_small_random"));
    }

    /**
     * A DINOv2-style ViT (width 96, depth 4, patch 8, 64 px) with seeded random weights. Its patch
     * embedding filters are made zero-mean, a high-pass stem like the SRM filters of forensic
     * detectors: with the mean colour of each patch in the embedding, LayerNorm lets it drown
     * the local noise statistics this manipulation set differs in, and nothing learned (AUC
     * 0.55 after 10 epochs of Approach 2 with k = 2, measured).
     */
    static Path smallViT(Path out) throws Exception {
        int dim = 96;
        int patch = 8;
        ViTConfig cfg = new ViTConfig("dinov2", dim, DEPTH, 4, dim * 4, false, patch, 3, SIZE / patch, 1, 0, true, true, 1e-6f,
                PositionResampling.DINOV2, 0, SIZE, ViTConfig.IMAGENET_MEAN, ViTConfig.IMAGENET_STD);
        Map<String, float[]> w = RandomWeights.vit(cfg, 7);
        float[] k = w.get("patch_embed.proj.weight");
        int per = patch * patch;
        for (int f = 0; f < k.length / per; f++) {
            double mean = 0;
            for (int i = 0; i < per; i++) {
                mean += k[f * per + i];
            }
            mean /= per;
            for (int i = 0; i < per; i++) {
                k[f * per + i] = (float) ((k[f * per + i] - mean) * 3);
            }
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("config.json"), String.format(Locale.ROOT,
                "{\"architecture\": \"dinov2_vits14\", \"num_classes\": 0, \"model_args\": {\"img_size\": %d, \"patch_size\": %d,"
                        + " \"embed_dim\": %d, \"depth\": %d, \"num_heads\": 4}}", SIZE, patch, dim, DEPTH));
        SafeTensorsWriter.write(out.resolve("model.safetensors"), RandomWeights.asTensors(cfg, w), Map.of("format", "pt"));
        return out;
    }

    record Outcome(double auc, double eer, String log) {}

    static Outcome train(String name, Path trainList, String... settings) {
        List<String> a = new ArrayList<>(List.of("train", "--backbone", backbone.toString(), "--train", trainList.toString(),
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

    /** Approach 2, the paper's partial fine-tuning (last 3 blocks + final norm + head, AdamW) from the frozen-prefix cache. */
    @Test
    void partialFineTuningLearnsTheManipulationAndShuffledLabelsDoNot() throws Exception {
        String[] settings = {"--approach", "finetune", "--blocks", "3", "--epochs", "10", "--batch", "32", "--lr", "1e-3",
            "--cache-precision", "f32"};
        Outcome real = train("finetune_k3", train, settings);
        assertThat(real.auc()).isGreaterThanOrEqualTo(0.9);
        Outcome shuffled = train("finetune_k3_shuffled", SelfBlendedSet.shuffledLabels(train, 99), settings);
        assertThat(shuffled.auc()).isBetween(0.35, 0.65);
    }

    /**
     * Approach 1 on the same frozen random backbone. A random ViT exposes this manipulation's
     * cue (local noise level relative to the surround) to a linear head only weakly: measured
     * validation AUC 0.64–0.78 for cls_*, all_last, all_ws_4 and an MLP head; the per-token
     * projection of all_dropout_concat_4 reached 0.85 after 8 epochs but took 9 minutes. The
     * 0.9 that Approach 2 reaches needs a backbone whose features carry the cue (a pretrained
     * one). This checks that the probe learns what is there, and that shuffled labels give nothing.
     *
     * <p>Tried and left out: a backbone "pretrained" by Approach 2 on another photo (camera.png,
     * then written out as a model folder and frozen) lifts the probe to AUC 0.82, but the same
     * probe with shuffled labels then reaches 0.77: fine-tuning makes fake-vs-real one of the
     * features' largest directions of variance, and a head fitted to noise lands on it too. A
     * control that cannot tell learning from chance proves nothing, so the frozen backbone here
     * stays label-free.
     */
    @Test
    void probeOnAFrozenRandomBackboneLearnsAboveChanceOnlyWithTrueLabels() throws Exception {
        String[] settings = {"--approach", "probe", "--features", "cls_concat_4", "--epochs", "30", "--batch", "32", "--lr", "1e-2"};
        Outcome real = train("probe_cls_concat_4", train, settings);
        assertThat(real.auc()).isGreaterThanOrEqualTo(0.6);
        Outcome shuffled = train("probe_cls_concat_4_shuffled", SelfBlendedSet.shuffledLabels(train, 99), settings);
        assertThat(shuffled.auc()).isBetween(0.35, 0.65);
        assertThat(shuffled.log()).contains("all 3200 records present");
    }
}
