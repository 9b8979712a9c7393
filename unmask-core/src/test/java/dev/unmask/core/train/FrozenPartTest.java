package dev.unmask.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.Golden;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.HeadSpec;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recomputing the frozen part every batch is the cached run without the cache: the same steps on
 * the same values, so the same losses and validation scores, and nothing written to the cache.
 * Batches of 20 images are computed in two calls (16 + 4), as a cache fill would.
 */
class FrozenPartTest {
    static final int SIDE = 56;

    @TempDir
    static Path dir;
    static Path backbone;

    @BeforeAll
    static void data() throws Exception {
        backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        writeNoiseSet(dir, SIDE, 24);
    }

    /**
     * {@code trainCount} training and 8 validation images of seeded colour noise (seed 7), fakes
     * with the red channel's top bit set, under {@code dir/train} and {@code dir/val}, listed in
     * train.csv and val.csv.
     */
    static void writeNoiseSet(Path dir, int side, int trainCount) throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        for (String split : new String[] {"train", "val"}) {
            StringBuilder list = new StringBuilder();
            int n = split.equals("train") ? trainCount : 8;
            for (int i = 0; i < n; i++) {
                boolean fake = i % 2 == 1;
                BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        img.setRGB(x, y, r.nextInt(1 << 24) | (fake ? 0x800000 : 0));
                    }
                }
                String rel = split + "/" + i + ".png";
                Files.createDirectories(dir.resolve(split));
                ImageIO.write(img, "png", dir.resolve(rel).toFile());
                list.append(rel).append(',').append(fake ? 1 : 0).append('\n');
            }
            Files.writeString(dir.resolve(split + ".csv"), list.toString());
        }
    }

    static TrainingRun.Result train(Approach a, String features, int blocks, FrozenPart frozen, String name) {
        TrainSettings s = new TrainSettings(a, FeatureVariant.parse(features), HeadSpec.Kind.LINEAR, 0, 0f, blocks, a != Approach.PROBE, false,
                SIDE, 2, 20, a == Approach.PROBE ? 1e-2 : 1e-4, a == Approach.PROBE ? 0 : 0.04, 0, 0);
        return TrainingRun.run(s, new TrainingRun.Inputs(backbone, Datalist.read(dir.resolve("train.csv"), dir),
                Datalist.read(dir.resolve("val.csv"), dir), dir.resolve(name + ".unmask"), dir.resolve("cache-" + name), null, "test"),
                false, Progress.SILENT, frozen);
    }

    static void assertSameTraining(TrainingRun.Result cached, TrainingRun.Result recomputed) {
        assertThat(recomputed.history()).hasSize(2);
        for (int e = 0; e < 2; e++) {
            assertThat(recomputed.history().get(e).trainLoss()).as("epoch %d train loss", e + 1)
                    .isCloseTo(cached.history().get(e).trainLoss(), org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(cached.cacheFillSeconds()).as("time the cached run spent filling its cache").isPositive();
        assertThat(recomputed.cacheFillSeconds()).as("a run without a cache reports no fill time").isNaN();
        assertThat(recomputed.valScores()).hasSameSizeAs(cached.valScores());
        for (int i = 0; i < cached.valScores().length; i++) {
            assertThat(recomputed.valScores()[i]).as("validation score %d", i)
                    .isCloseTo(cached.valScores()[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    static long filesUnder(Path p) throws Exception {
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void probeRecomputingFeaturesTrainsAsFromTheFeatureCache() throws Exception {
        TrainingRun.Result cached = train(Approach.PROBE, "cls_concat_4", 0, FrozenPart.CACHED, "probe");
        TrainingRun.Result recomputed = train(Approach.PROBE, "cls_concat_4", 0, FrozenPart.RECOMPUTED, "probe-recomputed");
        assertSameTraining(cached, recomputed);
        assertThat(filesUnder(dir.resolve("cache-probe"))).isPositive();
        assertThat(filesUnder(dir.resolve("cache-probe-recomputed"))).isZero();
    }

    @Test
    void finetuneRecomputingThePrefixTrainsAsFromThePrefixCache() throws Exception {
        TrainingRun.Result cached = train(Approach.FINETUNE, "cls_last", 1, FrozenPart.CACHED, "ft");
        TrainingRun.Result recomputed = train(Approach.FINETUNE, "cls_last", 1, FrozenPart.RECOMPUTED, "ft-recomputed");
        assertSameTraining(cached, recomputed);
        assertThat(filesUnder(dir.resolve("cache-ft"))).isPositive();
        assertThat(filesUnder(dir.resolve("cache-ft-recomputed"))).isZero();
    }
}
