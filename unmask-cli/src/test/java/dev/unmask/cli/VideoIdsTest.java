package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.VideoAggregation;
import dev.unmask.core.metrics.VideoKeys;
import dev.unmask.media.RandomDetector;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A video id holding real and fake items (fakes named after the real video they were made from,
 * as datasets and the demo's data did) is two videos for eval and metrics alike: eval reports the
 * video level, and its scores.csv is one that metrics reads, with the same video metrics.
 */
class VideoIdsTest {
    @TempDir
    Path dir;

    @Test
    void evalAndMetricsGroupAVideoIdWithBothLabelsAsTwoVideos() throws Exception {
        Path detector = RandomDetector.write(dir, 11);
        Path root = dir.resolve("crops");
        SplittableRandom r = new SplittableRandom(5);
        StringBuilder list = new StringBuilder("path,label,video\n");
        int ids = 6;
        for (int v = 0; v < ids; v++) {
            for (int frame = 0; frame < 2; frame++) {
                for (String kind : new String[] {"real", "fake"}) {
                    String rel = kind + "/v" + v + "_" + frame + ".png";
                    Files.createDirectories(root.resolve(rel).getParent());
                    BufferedImage img = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 56; y++) {
                        for (int x = 0; x < 56; x++) {
                            img.setRGB(x, y, r.nextInt(1 << 24));
                        }
                    }
                    ImageIO.write(img, "png", root.resolve(rel).toFile());
                    list.append(rel).append(',').append(kind.equals("fake") ? 1 : 0).append(",v").append(v).append('\n');
                }
            }
        }
        Files.writeString(dir.resolve("test.csv"), list.toString());
        Path out = dir.resolve("eval");
        CliRun eval = CliRun.of("eval", "--detector", detector.toString(), "--test", dir.resolve("test.csv").toString(), "--root",
                root.toString(), "--out", out.toString());
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("videos ").contains(VideoKeys.RULE).contains(VideoAggregation.MEAN.rule());
        JsonNode video = StrictJson.read(out.resolve("metrics.json")).path("pooled").path("video");
        assertThat(video.path("n").asInt()).as(video.toString()).isEqualTo(2 * ids);
        assertThat(video.path("n_real").asInt()).isEqualTo(ids);
        assertThat(video.path("videos").asText()).isEqualTo(VideoKeys.RULE);
        assertThat(video.path("video_score").asText()).isEqualTo(VideoAggregation.MEAN.rule());

        CliRun metrics = CliRun.of("metrics", "--scores", out.resolve("scores.csv").toString(), "--json");
        assertThat(metrics.exitCode()).as(metrics.err()).isZero();
        JsonNode m = StrictJson.parse(metrics.out(), "metrics").path("video");
        assertThat(m.path("n").asInt()).isEqualTo(2 * ids);
        assertThat(m.path("auc").asDouble()).isEqualTo(video.path("auc").asDouble());
        assertThat(m.path("eer").asDouble()).isEqualTo(video.path("eer").asDouble());

        CliRun table = CliRun.of("metrics", "--scores", out.resolve("scores.csv").toString());
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.out()).contains("(12 videos, 6 of their ids holding real and fake items, each counted as two videos)")
                .contains("videos: " + VideoKeys.RULE);
    }
}
