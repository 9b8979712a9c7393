package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes a new user makes get a message about what they did, not about what it did to a library. */
class MisleadingMessagesTest {
    @TempDir
    static Path dir;
    static TinyDetector tiny;

    @BeforeAll
    static void detector() throws Exception {
        tiny = TinyDetector.shared();
    }

    static void assertUsageError(CliRun r, String says) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("unmask: ").contains(says).doesNotContain("Exception");
    }

    @Test
    void aFolderGivenAsDetectorIsCalledAFolder() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("models"));
        CliRun r = CliRun.of("detect", "--detector", folder.toString(), tiny.root().toString());
        assertUsageError(r, "is a folder");
        assertThat(r.err()).doesNotContain("no such");
    }

    @Test
    void aTextFileGivenAsDetectorIsNotADetectorFile() throws Exception {
        Path text = dir.resolve("notes.unmask");
        Files.writeString(text, "these are my notes about the detector I will train one day\n");
        CliRun r = CliRun.of("detect", "--detector", text.toString(), tiny.root().toString());
        assertUsageError(r, "not an Unmask detector file");
        assertThat(r.err()).doesNotContain("safetensors").doesNotContain("header length");
    }

    @Test
    void aUrlIsRefusedAsAUrl() {
        CliRun r = CliRun.of("detect", "--detector", tiny.file().toString(), "https://example.com/clip.mp4");
        assertUsageError(r, "URLs are not supported");
        assertThat(r.err()).contains("https://example.com/clip.mp4").doesNotContain("https:/example");
    }

    @Test
    void aTextFileNamedPngIsNotAReadableImageOrVideo() throws Exception {
        Path fake = dir.resolve("photo.png");
        Files.writeString(fake, "not really a picture\n");
        CliRun r = CliRun.of("detect", "--detector", tiny.file().toString(), "--assume-crop", fake.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.EXIT_SOME_ITEMS_FAILED);
        assertThat(r.out()).contains("not a readable image or video").doesNotContain("image2").doesNotContain("multi-file");
    }

    @Test
    void aHugeHiddenSizeNamesTheRealBound() throws Exception {
        Path model = Golden.copyModel("dinov2_hf_small2", dir.resolve("hf"));
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(model.resolve("config.json").toFile());
        cfg.put("hidden_size", 1_000_000_000);
        Files.writeString(model.resolve("config.json"), cfg.toString());
        CliRun r = CliRun.of("features", "--model", model.toString(), "--image", Golden.dir("dinov2_hf_small2").resolve("input.png").toString());
        assertUsageError(r, "1000000000");
        assertThat(r.err()).contains("from 0 to 1000000").doesNotContain("non-negative");
    }
}
