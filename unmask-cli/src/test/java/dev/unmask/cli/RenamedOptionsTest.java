package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.core.model.BuiltinModels;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One name per concept across commands (--backbone, --size), the old names still accepted and
 * hidden from help (README, "Renamed options"). bench's renames are in {@link BenchCommandTest}.
 */
class RenamedOptionsTest {

    @Test
    void featuresTakesBackboneAndSizeAndStillItsOldNames(@TempDir Path tmp) throws Exception {
        Path img = tmp.resolve("odd.png");
        ImageIO.write(new BufferedImage(50, 61, BufferedImage.TYPE_INT_RGB), "png", img.toFile());
        String backbone = BuiltinModels.demoBackbone().toString();
        CliRun now = CliRun.of("features", "--backbone", backbone, "--image", img.toString(), "--size", "56", "--json");
        assertThat(now.exitCode()).as(now.err()).isZero();
        // 56 px: a 4×4 patch grid.
        assertThat(new ObjectMapper().readTree(now.out()).get("attn_last_cls").get(0).size()).isEqualTo(16);
        CliRun old = CliRun.of("features", "--model", backbone, "--image", img.toString(), "--resize", "56", "--json");
        assertThat(old.exitCode()).as(old.err()).isZero();
        assertThat(old.out()).isEqualTo(now.out());
    }

    @Test
    void trainTakesSizeAndStillImageSize(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        for (String label : new String[] {"real", "fake"}) {
            Files.createDirectories(data.resolve(label));
            ImageIO.write(new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB), "png", data.resolve(label).resolve("0.png").toFile());
        }
        String backbone = BuiltinModels.demoBackbone().toString();
        String[] common = {"train", "--backbone", backbone, "--train", data.toString(), "--val", data.toString(), "--epochs", "1",
            "--cache", tmp.resolve("cache").toString(), "--out", tmp.resolve("d.unmask").toString()};
        // 50 is not a multiple of ViT-S/14's patch: refused before any image is read, by either name.
        CliRun now = CliRun.of(append(common, "--size", "50"));
        CliRun old = CliRun.of(append(common, "--image-size", "50"));
        assertThat(now.exitCode()).as(now.err()).isEqualTo(2);
        assertThat(now.err()).isEqualTo("unmask: image size 50 is not a multiple of the backbone's patch size 14\n");
        assertThat(old.exitCode()).as(old.err()).isEqualTo(2);
        assertThat(old.err()).isEqualTo(now.err());
        assertThat(Files.exists(tmp.resolve("d.unmask"))).isFalse();
    }

    @Test
    void helpShowsTheNewNamesOnly() {
        assertThat(CliRun.of("features", "--help").out()).contains("--backbone=DIR|NAME", "--size=PX").doesNotContain("--model", "--resize");
        String train = CliRun.of("train", "--help").out();
        assertThat(train).contains("--size=PX", "--out=FILE.unmask").doesNotContain("--image-size");
        assertThat(train.replaceAll("\\s+", " ")).contains("The detector file to write (a detector is one file; other commands' --out is a folder)");
    }

    private static String[] append(String[] a, String... more) {
        String[] r = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, r, a.length, more.length);
        return r;
    }
}
