package dev.unmask.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.TestMedia;
import dev.unmask.media.detect.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API's thread-safety contract: one loaded detector shared by four threads gives every file
 * the verdict and scores a sequential run gives (within 1e-6), and gradient explanations, which
 * the engine records for one thread at a time, run beside plain checks and each other without
 * callers taking a lock. The detector is tiny and barely trained (a probe on a random tiny ViT):
 * what is checked is that sharing it changes nothing, not how good it is.
 */
class SharedDetectorTest {
    @TempDir
    static Path dir;
    static Path detectorFile;
    static Detector detector;
    static List<Path> media;

    @BeforeAll
    static void train() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        detectorFile = TinyDetectors.train(dir, "shared.unmask");
        detector = Detector.load(detectorFile, new LoadOptions(null, true));
        Path broken = TestMedia.write(dir.resolve("broken.mp4"), "not a video\n".getBytes());
        media = List.of(TestMedia.photo("astronaut.png"), TestMedia.photo("camera.png"), TestMedia.astronautMp4(), TestMedia.photo("coffee.png"),
                broken, TestMedia.photo("rocket.jpg"));
    }

    @AfterAll
    static void close() {
        if (detector != null) {
            detector.close();
        }
    }

    @Test
    void fourThreadsSharingOneDetectorGiveTheSequentialVerdictsAndScores() throws Exception {
        CheckOptions options = CheckOptions.defaults().withFrames(6).withBatch(4);
        List<FileCheck> sequential = new ArrayList<>();
        for (Path f : media) {
            sequential.add(detector.check(f, options));
        }
        assertThat(sequential).extracting(FileCheck::verdict).contains(Verdict.ERROR, Verdict.NO_FACE).containsAnyOf(Verdict.FAKE, Verdict.REAL);

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<FileCheck>>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int shift = t;
                // Each thread takes the files in another order, twice over, so different files overlap in time.
                runs.add(pool.submit(() -> {
                    List<FileCheck> mine = new ArrayList<>();
                    for (int k = 0; k < 2 * media.size(); k++) {
                        mine.add(detector.check(media.get((k + shift) % media.size()), options));
                    }
                    return mine;
                }));
            }
            for (int t = 0; t < 4; t++) {
                List<FileCheck> mine = runs.get(t).get();
                for (int k = 0; k < mine.size(); k++) {
                    assertSame(mine.get(k), sequential.get((k + t) % media.size()), "thread " + t + " check " + k);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void gradientExplanationsRunBesideChecksWithoutACallerLock() throws Exception {
        Path face = TestMedia.photo("astronaut.png");
        FileCheck plain = detector.check(face, CheckOptions.defaults());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<FileCheck>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Path out = dir.resolve("explained-" + t);
                // Two threads explain (gradients), two only check: all at once on the one detector.
                CheckOptions o = t % 2 == 0 ? CheckOptions.defaults().withOut(out).withExplanations(1, null) : CheckOptions.defaults();
                runs.add(pool.submit(() -> detector.check(face, o)));
            }
            for (int t = 0; t < 4; t++) {
                FileCheck c = runs.get(t).get();
                assertThat(c.verdict()).isEqualTo(plain.verdict());
                assertThat(c.score()).isCloseTo(plain.score(), org.assertj.core.data.Offset.offset(1e-6));
                if (t % 2 == 0) {
                    assertThat(c.explanation().error()).as("explanation error").isNull();
                    assertThat(c.explanation().method()).isEqualTo("grad-attention");
                    assertThat(c.explanation().overlays()).hasSize(1);
                    assertThat(Path.of(c.explanation().overlays().get(0).file())).isRegularFile();
                } else {
                    assertThat(c.explanation()).isNull();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertSame(FileCheck actual, FileCheck expected, String where) {
        assertThat(actual.path()).as(where).isEqualTo(expected.path());
        assertThat(actual.verdict()).as(where + " verdict of " + expected.path()).isEqualTo(expected.verdict());
        assertThat(actual.error()).as(where).isEqualTo(expected.error());
        assertThat(actual.frames()).as(where).isEqualTo(expected.frames());
        if (expected.score() != null) {
            assertThat(actual.score()).as(where + " score of " + expected.path()).isCloseTo(expected.score(), org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(actual.frameScores()).as(where).hasSameSizeAs(expected.frameScores());
        for (int i = 0; i < expected.frameScores().size(); i++) {
            assertThat(actual.frameScores().get(i).score()).as(where + " frame " + i)
                    .isCloseTo(expected.frameScores().get(i).score(), org.assertj.core.data.Offset.offset(1e-6));
        }
    }
}
