package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.Golden;
import dev.unmask.media.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train and extract refuse real symlinks that lead out of their root, unless told they may. */
class LinksOutsideRootTest {
    @TempDir
    Path dir;

    @Test
    void trainRefusesARowThroughALinkOutOfTheRoot() throws Exception {
        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny"));
        Path root = dir.resolve("faces");
        FaceSet.of(3, 8, 4).write(dir, root);
        Path outside = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
        Files.createSymbolicLink(root.resolve("linkdir"), outside);
        Files.writeString(dir.resolve("train.csv"), Files.readString(dir.resolve("train.csv")) + "linkdir/passwd,1\n");
        CliRun r = CliRun.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(), "--val",
                dir.resolve("val.csv").toString(), "--root", root.toString(), "--out", dir.resolve("d.unmask").toString(), "--image-size", "56");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).isEqualTo(1);
        assertThat(r.err()).contains("linkdir/passwd").contains("outside the root").contains("--allow-links-outside-root");
    }

    @Test
    void extractRefusesALinkedPhotoAndFollowsItWhenAllowed() throws Exception {
        Path root = dir.resolve("set");
        Files.createDirectories(root.resolve("real"));
        Files.createDirectories(root.resolve("fake"));
        Files.copy(TestMedia.photo("coffee.png"), root.resolve("real/coffee.png"));
        Files.createSymbolicLink(root.resolve("fake/astronaut.png"), TestMedia.photo("astronaut.png"));
        CliRun refused = CliRun.of("extract", root.toString(), "--out", dir.resolve("out").toString(), "--frames", "1", "--workers", "1");
        assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
        assertThat(refused.errLines()).isEqualTo(1);
        assertThat(refused.err()).contains("astronaut.png").contains("outside the root");

        CliRun allowed = CliRun.of("extract", root.toString(), "--out", dir.resolve("out").toString(), "--frames", "1", "--workers", "1",
                "--allow-links-outside-root");
        assertThat(allowed.exitCode()).as(allowed.err()).isZero();
        assertThat(allowed.out()).contains("1 with faces");
    }
}
