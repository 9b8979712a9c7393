package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.TestPhotos;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.io.StrictJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same seed gives the same detector, bit for bit, whatever the machine. libtorch's reductions
 * split their sums among the OpenMP threads that run them, so the team size sets the last bits of
 * every loss (measured here, epoch-1 train loss: 0.70474947492 with 1 thread, 0.70474946499 with 2,
 * 0.70474945505 with 4), and over epochs those bits grow into different detectors. Training used
 * to take the count from the processors the JVM sees; it now uses a fixed one (train --threads,
 * default 4), kept by --resume, and OpenMP may not shrink the team on a busy machine
 * (OMP_DYNAMIC=false: with it true, 4 threads asked for gave the 1-thread loss at a load of 12).
 *
 * <p>Two fresh JVMs, as the launcher runs them (no thread setting of ours passed), train the
 * issue's configuration (finetune, no prefix cache, flip and JPEG augmentation): one sees 1
 * processor, the other 4 and runs while this JVM keeps two cores busy. Their losses and tensors
 * must be identical.
 */
class TrainingDeterminismTest {
    static final int SIZE = LearningTest.SIZE;

    @TempDir
    static Path dir;
    static Path data;
    static Path trainList;
    static Path valList;
    static Path backbone;

    @BeforeAll
    static void data() throws Exception {
        Path photos = TestPhotos.require(LearningTest.TRAIN_PHOTOS);
        List<Path> files = Arrays.stream(LearningTest.TRAIN_PHOTOS).map(photos::resolve).toList();
        data = dir.resolve("data");
        trainList = SelfBlendedSet.write(files, data, "train", true, 12, SIZE, 1);
        valList = SelfBlendedSet.write(files, data, "val", false, 4, SIZE, 2);
        backbone = LearningTest.smallViT(dir.resolve("vit"), LearningTest.Stem.ZERO_MEAN);
    }

    static List<String> trainArgs(String name, int epochs, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--backbone", backbone.toString(), "--train", trainList.toString(), "--val",
                valList.toString(), "--root", data.toString(), "--out", dir.resolve(name + ".unmask").toString(), "--cache",
                dir.resolve("cache-" + name).toString(), "--size", Integer.toString(SIZE), "--approach", "finetune", "--blocks", "2",
                "--no-prefix-cache", "--augment", "flip,jpeg=60-95", "--epochs", Integer.toString(epochs), "--batch", "16", "--lr", "1e-3",
                "--patience", "0", "--seed", "3"));
        a.addAll(List.of(extra));
        return a;
    }

    /** Trains in a new JVM that sees {@code processors} processors and gets no thread count from us. */
    static Process trainInFreshJvm(String name, int processors) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:ActiveProcessorCount=" + processors, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "dev.unmask.cli.Main"));
        cmd.addAll(trainArgs(name, 1));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }

    @Test
    void theSameSeedGivesTheSameDetectorWithOneProcessorOrFourBusyOnes() throws Exception {
        Process one = trainInFreshJvm("one", 1);
        assertThat(one.waitFor(150, TimeUnit.SECONDS)).isTrue();
        assertThat(one.exitValue()).as(log("one")).isZero();
        Process four;
        List<Thread> load = new ArrayList<>();
        long[] spins = new long[2];
        try {
            for (int i = 0; i < 2; i++) {
                int k = i;
                Thread t = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        spins[k]++;
                    }
                });
                t.setDaemon(true);
                t.start();
                load.add(t);
            }
            four = trainInFreshJvm("four", 4);
            assertThat(four.waitFor(150, TimeUnit.SECONDS)).isTrue();
        } finally {
            load.forEach(Thread::interrupt);
        }
        assertThat(four.exitValue()).as(log("four")).isZero();
        assertSameRun("one", "four");
        assertThat(TrainEvalCommandTest.manifestOf(dir.resolve("four.unmask")).path("provenance").path("libtorch_threads").asInt())
                .isEqualTo(4);
        // The control: the thread count does set the bits here (the old code trained these two runs
        // with 1 and 4 threads), so the two agree because it is fixed.
        CliRun single = CliRun.of(withThreads(trainArgs("single", 1), 1));
        assertThat(single.exitCode()).as(single.err()).isZero();
        assertThat(differs("single", "one")).as("1 thread against 4").isTrue();
    }

    /** A resumed run goes on with the thread count it began with and ends where an uninterrupted one does. */
    @Test
    void aResumedRunKeepsItsThreadCount() {
        CliRun whole = CliRun.of(withThreads(trainArgs("whole", 2), 3));
        assertThat(whole.exitCode()).as(whole.err()).isZero();
        CliRun first = CliRun.of(withThreads(trainArgs("resumed", 1), 3));
        assertThat(first.exitCode()).as(first.err()).isZero();
        List<String> again = trainArgs("resumed", 2, "--resume");
        CliRun rest = CliRun.of(again.toArray(String[]::new));
        assertThat(rest.exitCode()).as(rest.err()).isZero();
        assertThat(TrainEvalCommandTest.manifestOf(dir.resolve("resumed.unmask")).path("provenance").path("libtorch_threads").asInt())
                .isEqualTo(3);
        assertSameRun("whole", "resumed");
        CliRun bad = CliRun.of(withThreads(trainArgs("bad", 1), 0));
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("unmask: --threads must be between 1 and 256, got 0");
    }

    static String[] withThreads(List<String> args, int threads) {
        List<String> a = new ArrayList<>(args);
        a.addAll(List.of("--threads", Integer.toString(threads)));
        return a.toArray(String[]::new);
    }

    static void assertSameRun(String a, String b) {
        assertThat(history(b)).as("losses and metrics of every epoch, to the last bit").isEqualTo(history(a));
        Map<String, float[]> ta = tensors(dir.resolve(a + ".unmask"));
        Map<String, float[]> tb = tensors(dir.resolve(b + ".unmask"));
        assertThat(tb.keySet()).isEqualTo(ta.keySet());
        ta.forEach((k, v) -> assertThat(tb.get(k)).as("tensor %s", k).isEqualTo(v));
    }

    /** Whether two runs differ anywhere: a loss, a metric or a bit of a tensor. */
    static boolean differs(String a, String b) {
        System.out.printf("%s: %s%n%s: %s%n", a, history(a), b, history(b));
        if (!history(a).equals(history(b))) {
            return true;
        }
        Map<String, float[]> ta = tensors(dir.resolve(a + ".unmask"));
        Map<String, float[]> tb = tensors(dir.resolve(b + ".unmask"));
        return ta.entrySet().stream().anyMatch(e -> !Arrays.equals(e.getValue(), tb.get(e.getKey())));
    }

    static JsonNode history(String name) {
        JsonNode log = StrictJson.read(dir.resolve(name + ".unmask.train").resolve("train_log.json"));
        JsonNode h = log.path("epochs").deepCopy();
        h.forEach(e -> ((com.fasterxml.jackson.databind.node.ObjectNode) e).remove("seconds"));
        assertThat(h.size()).as(log.toString()).isGreaterThan(0);
        return h;
    }

    static Map<String, float[]> tensors(Path detector) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(detector)) {
            for (String k : st.tensors().keySet()) {
                out.put(k, st.readFloats(k));
            }
        }
        return out;
    }

    static String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
