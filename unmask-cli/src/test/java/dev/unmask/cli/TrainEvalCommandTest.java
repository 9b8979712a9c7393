package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * unmask train and eval as a user runs them: files written, a fresh JVM reading the detector
 * back, a run killed with SIGKILL and resumed, and every bad input a one-line error (exit 2).
 * Learning itself is shown by {@link LearningTest}; here the images only need to exist.
 */
class TrainEvalCommandTest {
    @TempDir
    static Path dir;
    static Path backbone;
    static Path root;

    @BeforeAll
    static void data() throws Exception {
        backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        root = dir.resolve("faces");
        // Two manipulation methods (labels 1 and 2) so eval reports each; quoted validation paths, as spreadsheets write them.
        FaceSet.of(5, 48, 32).byVideo().labels(i -> i % 2 == 0 ? 0 : 1 + (i / 2) % 2).quoteValPaths().write(dir, root);
    }

    static String[] train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(),
                "--val", dir.resolve("val.csv").toString(), "--root", root.toString(), "--out", out.toString(),
                "--cache", dir.resolve("cache").toString(), "--image-size", "56"));
        for (int i = 0; i < extra.length; i++) {
            int at = a.indexOf(extra[i]);
            boolean valued = i + 1 < extra.length && !extra[i + 1].startsWith("--");
            if (at >= 0 && valued) {
                a.set(at + 1, extra[++i]);
            } else {
                a.add(extra[i]);
                if (valued) {
                    a.add(extra[++i]);
                }
            }
        }
        return a.toArray(String[]::new);
    }

    @Test
    void aDetectorWrittenByTrainGivesTheSameScoresInAFreshJvm() throws Exception {
        Path d = dir.resolve("probe.unmask");
        CliRun t = CliRun.of(train(d, "--epochs", "3", "--batch", "8", "--lr", "0.01"));
        assertThat(t.exitCode()).as(t.err()).isZero();
        assertThat(t.out()).contains("best epoch").contains("threshold");
        Path log = TrainingRun.trainingDirectory(d);
        assertThat(Files.readAllLines(log.resolve("train_log.csv"))).hasSize(4).first().asString().startsWith("epoch,train_loss");
        JsonNode manifest = manifestOf(d);
        assertThat(manifest.path("approach").asText()).isEqualTo("probe");
        assertThat(manifest.path("backbone").path("changed_tensors").size()).isZero();
        assertThat(manifest.path("provenance").path("train").path("sha256").asText()).hasSize(64);
        assertThat(manifest.path("provenance").path("command_line").asText()).contains("--epochs 3");
        // What same-seed runs must share to be identical: the summation order follows libtorch's thread count.
        assertThat(manifest.path("provenance").path("libtorch_threads").asInt()).isEqualTo(ai.djl.pytorch.jni.JniUtils.getNumThreads())
                .isEqualTo(Integer.getInteger("ai.djl.pytorch.num_threads"));
        assertThat(manifest.path("crop_contract").path("declared").asBoolean()).isFalse();

        // Second run: every feature comes from the cache, the backbone does not run.
        CliRun again = CliRun.of(train(dir.resolve("probe2.unmask"), "--epochs", "1", "--batch", "8"));
        assertThat(again.err()).contains("all 48 records present");

        Path evalOut = dir.resolve("eval");
        int code = FreshJvm.run(dir.resolve("eval.log"), "eval", "--detector", d.toString(), "--test", dir.resolve("val.csv").toString(),
                "--test", dir.resolve("train.csv").toString(), "--root", root.toString(), "--out", evalOut.toString());
        assertThat(code).as(Files.readString(dir.resolve("eval.log"))).isZero();
        JsonNode metrics = StrictJson.read(evalOut.resolve("metrics.json"));
        assertThat(javax.imageio.ImageIO.read(evalOut.resolve("roc.png").toFile()).getWidth()).isEqualTo(EvalPlots.WIDTH);
        assertThat(javax.imageio.ImageIO.read(evalOut.resolve("histogram.png").toFile()).getHeight()).isEqualTo(EvalPlots.HEIGHT);
        for (String k : new String[] {"auc", "ap", "eer", "eer_threshold", "acc", "hter", "acc_real", "acc_fake"}) {
            assertThat(metrics.path("pooled").path("frame").has(k)).as(k).isTrue();
        }
        assertThat(metrics.path("pooled").path("frame").path("threshold").asDouble()).isEqualTo(manifest.path("threshold").asDouble());
        assertThat(metrics.path("lists").has("test1")).isTrue();
        assertThat(metrics.path("methods").has("1")).isTrue();
        assertThat(metrics.path("methods").path("2").path("frame").path("n_real").asInt()).isEqualTo(24);

        // The same images scored here, in this JVM, from the file: identical to the fresh JVM's.
        List<String> rows = Files.readAllLines(evalOut.resolve("scores.csv"));
        assertThat(rows.get(0)).isEqualTo("path,label,score,video");
        Map<String, Double> fresh = new LinkedHashMap<>();
        rows.stream().skip(1).forEach(l -> {
            String[] f = l.replace("\"", "").split(",");
            fresh.put(f[0], Double.parseDouble(f[2]));
        });
        Datalist val = Datalist.read(dir.resolve("val.csv"), root);
        try (NDManager m = NDManager.newBaseManager(); Detector det = Detector.load(d, null, m)) {
            for (Datalist.Item item : val.items()) {
                float[] x = det.preprocessing().load(item.file());
                float s = det.score(m.create(x, new Shape(1, 3, 56, 56)))[0];
                assertThat(fresh.get(item.relativePath())).as(item.relativePath()).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        // scores.csv is a valid input of unmask metrics, with the same AUC.
        CliRun mr = CliRun.of("metrics", "--scores", evalOut.resolve("scores.csv").toString(), "--json");
        assertThat(StrictJson.parse(mr.out(), "metrics").path("frame").path("auc").asDouble())
                .isEqualTo(metrics.path("pooled").path("frame").path("auc").asDouble());
    }

    @Test
    void aRunKilledMidEpochAndResumedEndsExactlyAsAnUninterruptedOne() throws Exception {
        String[] common = {"--approach", "finetune", "--blocks", "1", "--epochs", "4", "--batch", "2", "--seed", "7"};
        Path whole = dir.resolve("whole.unmask");
        CliRun w = CliRun.of(train(whole, common));
        assertThat(w.exitCode()).as(w.err()).isZero();

        Path killed = dir.resolve("killed.unmask");
        Path checkpoint = TrainingRun.trainingDirectory(killed).resolve("checkpoint.safetensors");
        List<String> args = new ArrayList<>(List.of(train(killed, common)));
        Process p = FreshJvm.start(dir.resolve("killed.log"), args.toArray(String[]::new));
        while (!Files.exists(checkpoint) && p.isAlive()) {
            Thread.sleep(20);
        }
        // Epoch 1's checkpoint is there, so epoch 2 has begun: kill it a few of its 16 steps in.
        // (A wait scaled by the first epoch's time, which includes JVM start and caching, let the
        // run finish all 4 epochs when the machine's load fell meanwhile.)
        Thread.sleep(100);
        assertThat(p.isAlive()).as(Files.readString(dir.resolve("killed.log"))).isTrue();
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        int epochsDone = epochsDone(checkpoint);
        assertThat(epochsDone).isBetween(1, 3);

        CliRun resumed = CliRun.of(train(killed, append(common, "--resume")));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming after epoch " + epochsDone);
        try (SafeTensors a = SafeTensors.open(whole); SafeTensors b = SafeTensors.open(killed)) {
            assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet()).contains("backbone.blocks.3.attn.qkv.weight", "backbone.norm.weight");
            for (String name : a.tensors().keySet()) {
                assertThat(b.readFloats(name)).as(name).containsExactly(a.readFloats(name));
            }
            assertThat(StrictJson.parse(b.metadata().get(Detector.METADATA_KEY), "b").path("threshold").asDouble())
                    .isEqualTo(StrictJson.parse(a.metadata().get(Detector.METADATA_KEY), "a").path("threshold").asDouble());
        }
        assertThat(Files.readAllLines(TrainingRun.trainingDirectory(killed).resolve("train_log.csv"))).hasSize(5);
    }

    static int epochsDone(Path checkpoint) {
        try (SafeTensors st = SafeTensors.open(checkpoint)) {
            return StrictJson.parse(st.metadata().get("unmask_checkpoint"), "c").path("epochs_done").asInt();
        }
    }

    static String[] append(String[] a, String... more) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(more));
        return l.toArray(String[]::new);
    }

    static JsonNode manifestOf(Path detector) {
        try (SafeTensors st = SafeTensors.open(detector)) {
            return StrictJson.parse(st.metadata().get(Detector.METADATA_KEY), detector.toString());
        }
    }

    @Test
    void helpListsTheApproachesAndFeatureVariants() {
        CliRun t = CliRun.of("train", "--help");
        assertThat(t.exitCode()).isZero();
        assertThat(t.out()).contains("--approach", "probe|finetune|lntune", "all_dropout_concat_4", "--resume", "--no-prefix-cache");
        CliRun e = CliRun.of("eval", "--help");
        assertThat(e.exitCode()).isZero();
        assertThat(e.out()).contains("--detector", "--test", "95%");
    }

    @Test
    void badInputsAreOneLineErrors() throws Exception {
        Files.writeString(dir.resolve("escape.csv"), "real/v0/0.png,0\n../../etc/passwd,1\n");
        Files.writeString(dir.resolve("one_class.csv"), "real/v0/0.png,0\nreal/v1/4.png,0\n");
        Files.writeString(dir.resolve("with_missing.csv"), "real/v0/0.png,0\nfake/v0/1.png,1\nreal/gone.png,0\nfake/v0/3.png,2\n");
        Path o = dir.resolve("bad.unmask");
        String[][] cases = {
            {"--train", dir.resolve("escape.csv").toString()},
            {"--val", dir.resolve("one_class.csv").toString()},
            {"--features", "cls_concat_9"},
            {"--approach", "fullft"},
            {"--approach", "probe", "--no-prefix-cache"},
            {"--approach", "finetune", "--blocks", "2", "--features", "cls_concat_4"},
            {"--image-size", "50"},
            {"--epochs", "0"},
            {"--blocks", "9", "--approach", "finetune"},
            {"--root", dir.resolve("nowhere").toString()},
            {"--out", dir.resolve("d.model").toString()},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of(train(o, append(new String[] {"--epochs", "1"}, c)));
            assertThat(r.exitCode()).as(String.join(" ", c) + ": " + r.err()).isEqualTo(2);
            assertThat(r.errLines()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("unmask: ").doesNotContain("Exception");
        }
        assertThat(Files.exists(o)).as("no detector from a failed run").isFalse();

        // A missing image is listed and skipped, not fatal.
        Path skip = dir.resolve("skip.unmask");
        CliRun s = CliRun.of(train(skip, "--epochs", "1", "--train", dir.resolve("with_missing.csv").toString()));
        assertThat(s.exitCode()).as(s.err()).isZero();
        assertThat(s.err()).contains("skipping train image real/gone.png: missing");
        assertThat(Files.readString(TrainingRun.trainingDirectory(skip).resolve("train_log.json"))).contains("real/gone.png");

        // An earlier run's checkpoint is never overwritten silently, and resuming needs the same settings.
        CliRun again = CliRun.of(train(skip, "--epochs", "1", "--train", dir.resolve("with_missing.csv").toString()));
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).contains("--resume");
        CliRun other = CliRun.of(train(skip, "--epochs", "1", "--train", dir.resolve("with_missing.csv").toString(), "--seed", "3", "--resume"));
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.err()).contains("other settings");

        // eval: the detector's backbone must be the one it was trained on.
        Path wrong = Golden.copyModel("dinov2_hf_small2", dir.resolve("wrong_backbone"));
        CliRun e = CliRun.of("eval", "--detector", skip.toString(), "--backbone", wrong.toString(), "--test", dir.resolve("val.csv").toString(),
                "--root", root.toString(), "--out", dir.resolve("e2").toString());
        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.err()).contains("SHA-256");
        assertThat(e.errLines()).isEqualTo(1);
    }
}
