package dev.unmask.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.TestPhotos;
import dev.unmask.core.UserError;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.train.RandomStreams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each augmentation on a real photo (scikit-image's public-domain {@code astronaut.png}, the
 * face region): exact where exactness is defined, measured where it is not, and reproducible
 * from (seed, epoch, item).
 */
class AugmentationTest {
    static int[][][] face;

    @BeforeAll
    static void photo() {
        int[][][] all = ImageTensor.readRgb(TestPhotos.photo("astronaut.png"));
        // The astronaut's face, 128×96 (not square, so a wrong axis shows).
        face = new int[3][96][128];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 96; y++) {
                System.arraycopy(all[c][60 + y], 150, face[c][y], 0, 128);
            }
        }
    }

    static double meanAbsDiff(int[][][] a, int[][][] b) {
        double s = 0;
        long n = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < a[c].length; y++) {
                for (int x = 0; x < a[c][y].length; x++) {
                    s += Math.abs(a[c][y][x] - b[c][y][x]);
                    n++;
                }
            }
        }
        return s / n;
    }

    /** Sum of squared differences between horizontal neighbours: what a blur removes. */
    static double edgeEnergy(int[][][] a) {
        double s = 0;
        for (int c = 0; c < 3; c++) {
            for (int[] row : a[c]) {
                for (int x = 1; x < row.length; x++) {
                    s += (double) (row[x] - row[x - 1]) * (row[x] - row[x - 1]);
                }
            }
        }
        return s;
    }

    static double mean(int[][][] a, int c) {
        double s = 0;
        for (int[] row : a[c]) {
            for (int v : row) {
                s += v;
            }
        }
        return s / (a[c].length * a[c][0].length);
    }

    static boolean mirrored(int[][][] out, int[][][] in) {
        int w = in[0][0].length;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < in[c].length; y++) {
                for (int x = 0; x < w; x++) {
                    if (out[c][y][x] != in[c][y][w - 1 - x]) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @Test
    void flipMirrorsExactlyAboutHalfTheTimeAndOtherwiseLeavesTheImage() {
        Augmentation flip = Augmentation.parse("flip");
        int flipped = 0;
        for (int item = 0; item < 200; item++) {
            int[][][] out = flip.apply(face, RandomStreams.of(1, RandomStreams.AUGMENT, 1, item));
            boolean same = meanAbsDiff(out, face) == 0;
            assertThat(same || mirrored(out, face)).as("item " + item).isTrue();
            flipped += same ? 0 : 1;
        }
        assertThat(flipped).isBetween(70, 130);
        assertThat(meanAbsDiff(face, Augmentation.flipHorizontal(Augmentation.flipHorizontal(face)))).isZero();
    }

    @Test
    void jpegChangesPixelsMoreAsQualityFalls() {
        double[] err = new double[3];
        int[] qualities = {95, 60, 10};
        for (int i = 0; i < 3; i++) {
            int[][][] out = Augmentation.parse("jpeg=" + qualities[i]).apply(face, new SplittableRandom(3));
            assertThat(out[0].length).isEqualTo(96);
            assertThat(out[0][0].length).isEqualTo(128);
            err[i] = meanAbsDiff(out, face);
        }
        assertThat(err[0]).as("quality 95 still loses something").isGreaterThan(0.1);
        assertThat(err[0]).isLessThan(err[1]);
        assertThat(err[1]).isLessThan(err[2]);
        assertThat(err[2]).as("quality 10 is visibly lossy, not a different picture").isBetween(2.0, 30.0);
    }

    @Test
    void blurKeepsTheMeanRemovesEdgesMoreForLargerSigmaAndLeavesAConstantImage() {
        double before = edgeEnergy(face);
        int[][][] light = Augmentation.gaussianBlur(face, 0.8);
        int[][][] heavy = Augmentation.gaussianBlur(face, 2.5);
        assertThat(edgeEnergy(light)).isLessThan(0.8 * before);
        assertThat(edgeEnergy(heavy)).isLessThan(0.5 * edgeEnergy(light));
        for (int c = 0; c < 3; c++) {
            assertThat(mean(heavy, c)).isCloseTo(mean(face, c), org.assertj.core.data.Offset.offset(1.0));
        }
        int[][][] flat = new int[3][20][30];
        for (int[][] ch : flat) {
            for (int[] row : ch) {
                java.util.Arrays.fill(row, 77);
            }
        }
        assertThat(meanAbsDiff(Augmentation.gaussianBlur(flat, 3.0), flat)).isZero();
        // blur=0 draws sigma 0: the image is left as it is.
        assertThat(meanAbsDiff(Augmentation.parse("blur=0").apply(face, new SplittableRandom(1)), face)).isZero();
    }

    @Test
    void colourJitterFollowsTorchvisionsDefinitions() {
        // Brightness alone scales (clamped); saturation 0 makes grey; contrast 0 makes the mean grey.
        int[][][] bright = Augmentation.colourJitter(face, 1.2, 1, 1);
        assertThat(bright[1][10][10]).isEqualTo((int) Math.round(Math.min(255, face[1][10][10] * 1.2)));
        int[][][] grey = Augmentation.colourJitter(face, 1, 1, 0);
        for (int y = 0; y < 96; y += 7) {
            for (int x = 0; x < 128; x += 7) {
                assertThat(grey[0][y][x]).isEqualTo(grey[1][y][x]).isEqualTo(grey[2][y][x]);
            }
        }
        int[][][] flat = Augmentation.colourJitter(face, 1, 0, 1);
        assertThat(flat[0][0][0]).isEqualTo(flat[2][95][127]);

        Augmentation jitter = Augmentation.parse("colour=0.2");
        for (int item = 0; item < 10; item++) {
            int[][][] out = jitter.apply(face, RandomStreams.of(1, RandomStreams.AUGMENT, 1, item));
            assertThat(meanAbsDiff(out, face)).isGreaterThan(0);
            // Factors in [0.8, 1.2] move the mean brightness by at most ~20 % (contrast keeps it).
            double ratio = (mean(out, 0) + mean(out, 1) + mean(out, 2)) / (mean(face, 0) + mean(face, 1) + mean(face, 2));
            assertThat(ratio).isBetween(0.75, 1.25);
        }
    }

    @Test
    void theSameSeedEpochAndItemGiveTheSameImageAndAnotherEpochOrItemAnother() {
        Augmentation all = Augmentation.parse("flip,jpeg=60-95,blur=0-1.5,colour=0.2");
        int[][][] a = all.apply(face, RandomStreams.of(7, RandomStreams.AUGMENT, 3, 5));
        int[][][] b = all.apply(face, RandomStreams.of(7, RandomStreams.AUGMENT, 3, 5));
        assertThat(meanAbsDiff(a, b)).isZero();
        assertThat(meanAbsDiff(a, all.apply(face, RandomStreams.of(7, RandomStreams.AUGMENT, 4, 5)))).isGreaterThan(0.5);
        assertThat(meanAbsDiff(a, all.apply(face, RandomStreams.of(7, RandomStreams.AUGMENT, 3, 6)))).isGreaterThan(0.5);
        assertThat(meanAbsDiff(a, all.apply(face, RandomStreams.of(8, RandomStreams.AUGMENT, 3, 5)))).isGreaterThan(0.5);
        assertThat(meanAbsDiff(a, face)).isGreaterThan(0.5);
        assertThat(face[0][0][0]).as("the input is not changed").isEqualTo(ImageTensor.readRgb(photoFile())[0][60][150]);
    }

    static Path photoFile() {
        String env = System.getenv("UNMASK_TEST_PHOTOS");
        for (Path c : new Path[] {env == null ? null : Path.of(env), Path.of("/usr/lib/python3/dist-packages/skimage/data"),
            Path.of(System.getProperty("user.home"), ".cache", "unmask", "test-data", "skimage")}) {
            if (c != null && Files.isRegularFile(c.resolve("astronaut.png"))) {
                return c.resolve("astronaut.png");
            }
        }
        throw new AssertionError("astronaut.png vanished");
    }

    @Test
    void specsParseToOneCanonicalFormAndMistakesAreOneLineErrors() {
        assertThat(Augmentation.parse(null).isOff()).isTrue();
        assertThat(Augmentation.parse("none")).isEqualTo(Augmentation.NONE);
        assertThat(Augmentation.parse(" JPEG=60-95, flip ,color=0.20,blur=0-1.5").spec()).isEqualTo("flip,colour=0.2,blur=0-1.5,jpeg=60-95");
        assertThat(Augmentation.parse("jpeg=75").spec()).isEqualTo("jpeg=75-75");
        assertThat(Augmentation.parse(Augmentation.parse("blur=0.5-2,flip").spec())).isEqualTo(Augmentation.parse("flip,blur=0.5-2"));
        for (String bad : new String[] {"jpeg=0-50", "jpeg=50-101", "jpeg=90-60", "jpeg=60.5-90", "jpeg=abc", "jpeg", "blur=2-1",
            "blur=0-11", "blur=-1-2", "colour=0", "colour=1.5", "colour", "flip=0.3", "flip,flip", "flip,,blur=1", "sharpen", "blur=nan"}) {
            assertThatThrownBy(() -> Augmentation.parse(bad)).as(bad).isInstanceOf(UserError.class)
                    .hasMessageStartingWith("--augment " + bad + ":").hasMessageNotContaining("\n");
        }
    }
}
