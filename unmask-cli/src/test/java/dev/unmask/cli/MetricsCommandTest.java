package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.BinaryMetrics;
import dev.unmask.core.metrics.VideoAggregation;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code unmask metrics} end to end on real files, in-process. */
class MetricsCommandTest {
    private static final String[] KEYS = {
        "auc", "ap", "eer", "eer_threshold", "acc", "hter", "acc_real", "acc_fake",
        "tpr_at_fpr_1pct", "ece", "n", "n_real", "n_fake", "threshold"
    };

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** 12 videos of 5 frames, alternately real and fake; frame scores overlap between classes. */
    private Path videoFile(double[] scores, boolean[] fake, int[] video) throws IOException {
        Random r = new Random(99);
        StringBuilder sb = new StringBuilder("video,path,score,label\n");
        for (int i = 0; i < scores.length; i++) {
            video[i] = i / 5;
            fake[i] = video[i] % 2 == 1;
            scores[i] = Math.round(Math.min(1, Math.max(0, (fake[i] ? 0.6 : 0.4) + 0.2 * r.nextGaussian())) * 1000) / 1000.0;
            sb.append(String.format(Locale.ROOT, "\"clip %d, take 1\",frames/%d.png,%s,%d%n",
                    video[i], i, Double.toString(scores[i]), fake[i] ? 1 + video[i] % 3 : 0));
        }
        Path f = dir.resolve("scores.csv");
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void jsonHasFrameAndVideoObjectsMatchingTheLibrary() throws IOException {
        int n = 60;
        double[] s = new double[n];
        boolean[] fake = new boolean[n];
        int[] video = new int[n];
        Path f = videoFile(s, fake, video);

        Result r = run("metrics", "--scores", f.toString(), "--json", "--threshold", "0.45");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        JsonNode json = StrictJson.parse(r.out(), "output");
        for (String level : new String[] {"frame", "video"}) {
            for (String key : KEYS) {
                assertThat(json.get(level).has(key)).as(level + "." + key).isTrue();
            }
        }
        // the CLI is a thin shell: the same numbers as the library on the same arrays
        BinaryMetrics frame = BinaryMetrics.compute(s, fake, 0.45);
        JsonNode fj = json.get("frame");
        assertThat(fj.get("n").asLong()).isEqualTo(60);
        assertThat(fj.get("auc").asDouble()).isEqualTo(frame.auc());
        assertThat(fj.get("eer").asDouble()).isEqualTo(frame.eer());
        assertThat(fj.get("eer_threshold").asDouble()).isEqualTo(frame.eerThreshold());
        assertThat(fj.get("hter").asDouble()).isEqualTo(frame.hter());
        assertThat(fj.get("threshold").asDouble()).isEqualTo(0.45);

        boolean[] videoFake = new boolean[12];
        for (int i = 0; i < n; i++) {
            videoFake[video[i]] = fake[i];
        }
        BinaryMetrics vid = BinaryMetrics.compute(VideoAggregation.MEAN.aggregate(s, video, 12), videoFake, 0.45);
        JsonNode vj = json.get("video");
        assertThat(vj.get("n").asLong()).isEqualTo(12);
        assertThat(vj.get("n_real").asLong()).isEqualTo(6);
        assertThat(vj.get("aggregation").asText()).isEqualTo("mean");
        assertThat(vj.get("auc").asDouble()).isEqualTo(vid.auc());
        assertThat(vj.get("acc").asDouble()).isEqualTo(vid.acc());
        // fractions, not percentages
        assertThat(vj.get("acc").asDouble()).isBetween(0.0, 1.0);
        assertThat(fj.has("ci95")).isFalse();
    }

    @Test
    void videoAggregationAndBootstrap() throws IOException {
        double[] s = new double[60];
        Path f = videoFile(s, new boolean[60], new int[60]);
        Result max = run("metrics", "--scores", f.toString(), "--json", "--video-agg", "max", "--bootstrap", "50", "--seed", "7");
        assertThat(max.code()).as(max.err()).isZero();
        JsonNode j = StrictJson.parse(max.out(), "output");
        assertThat(j.at("/video/aggregation").asText()).isEqualTo("max");
        assertThat(j.at("/frame/ci95/resampled").asText()).isEqualTo("videos");
        assertThat(j.at("/frame/ci95/units").asInt()).isEqualTo(12);
        assertThat(j.at("/frame/ci95/auc").size()).isEqualTo(2);
        assertThat(j.at("/video/ci95/eer/0").asDouble()).isLessThanOrEqualTo(j.at("/video/ci95/eer/1").asDouble());
        Result again = run("metrics", "--scores", f.toString(), "--json", "--video-agg", "max", "--bootstrap", "50", "--seed", "7");
        assertThat(again.out()).isEqualTo(max.out());
        Result mean = run("metrics", "--scores", f.toString(), "--json");
        assertThat(StrictJson.parse(mean.out(), "output").at("/video/auc").asDouble())
                .isNotEqualTo(j.at("/video/auc").asDouble());
    }

    @Test
    void frameOnlyFileAndTable() throws IOException {
        Path f = dir.resolve("plain.csv");
        Files.writeString(f, "path,label,score\na.png,0,0.1\nb.png,1,0.8\nc.png,0,0.6\nd.png,1,0.4\n");
        Result j = run("metrics", "--scores", f.toString(), "--json");
        assertThat(j.code()).isZero();
        JsonNode json = StrictJson.parse(j.out(), "output");
        assertThat(json.has("video")).isFalse();
        // pairs (fake > real): .8 beats .1 and .6, .4 beats .1 -> 3 of 4
        assertThat(json.at("/frame/auc").asDouble()).isCloseTo(0.75, within(1e-15));
        Result t = run("metrics", "--scores", f.toString());
        assertThat(t.code()).isZero();
        assertThat(t.out()).contains("AUC").contains("0.7500").contains("HTER @ 0.5").doesNotContain("video (");
    }

    @Test
    void helpRendersCleanly() {
        Result r = run("metrics", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--video-agg").contains("95% confidence");
        assertThat(r.err()).isEmpty(); // picocli warns on stderr about unescaped '%' in descriptions
    }

    @Test
    void userErrorsExitTwoWithOneLine() throws IOException {
        Path oneClass = dir.resolve("one.csv");
        Files.writeString(oneClass, "path,label,score\na,0,0.1\nb,0,0.7\n");
        Path nan = dir.resolve("nan.csv");
        Files.writeString(nan, "path,label,score\na,0,0.1\nb,1,nan\n");
        Path badHeader = dir.resolve("header.csv");
        Files.writeString(badHeader, "file,label,score\na,0,0.1\n");
        Path noScore = dir.resolve("noscore.csv");
        Files.writeString(noScore, "path,label\na,0\n");
        Path noVideo = dir.resolve("novideo.csv");
        Files.writeString(noVideo, "path,label,score\na,0,0.1\nb,1,0.9\n");

        assertUserError(run("metrics", "--scores", oneClass.toString()), "both real", "0 fake");
        assertUserError(run("metrics", "--scores", nan.toString(), "--json"), "line 3", "not a finite number");
        assertUserError(run("metrics", "--scores", badHeader.toString()), "unknown column 'file'");
        assertUserError(run("metrics", "--scores", noScore.toString()), "no 'score' column");
        assertUserError(run("metrics", "--scores", dir.resolve("missing.csv").toString()), "no such file");
        assertUserError(run("metrics", "--scores", noVideo.toString(), "--video-agg", "median"), "needs a 'video' column");
        assertUserError(run("metrics", "--scores", noVideo.toString(), "--video-agg", "mode"), "unknown video aggregation");
        assertUserError(run("metrics", "--scores", noVideo.toString(), "--threshold", "2"), "threshold must be in [0, 1]");
        assertUserError(run("metrics", "--scores", noVideo.toString(), "--bootstrap", "-1"), "cannot be negative");
        assertUserError(run("metrics"), "--scores");
    }

    private static void assertUserError(Result r, String... parts) {
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("unmask: ").doesNotContain("Exception");
        for (String p : parts) {
            assertThat(r.err()).contains(p);
        }
    }
}
