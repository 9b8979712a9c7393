package dev.unmask.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pull.json is read by older Unmask versions and by people: its text stays as it is, and it reads back whole. */
class PullManifestFormatTest {
    @TempDir
    Path dir;

    @Test
    void theManifestTextIsPinnedAndReadsBack() throws Exception {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        PulledSnapshot s = new PulledSnapshot(new RepoId("facebook", "dinov2-small"), "main", commit, null, "hub",
                Instant.parse("2026-01-02T03:04:05Z"), dir, List.of(
                        new PulledSnapshot.PulledFile("config.json", 548, "ab".repeat(32), false),
                        new PulledSnapshot.PulledFile("model.safetensors", 88_000_000_000L, "cd".repeat(32), true)));
        new ModelCache(dir.resolve("models")).writeManifest(s);

        Path file = dir.resolve(PulledSnapshot.MANIFEST);
        assertThat(Files.readString(file)).isEqualTo("""
                {
                  "format" : "unmask-pull/1",
                  "repo" : "facebook/dinov2-small",
                  "revision" : "main",
                  "commit" : "0123456789abcdef0123456789abcdef01234567",
                  "endpoint" : null,
                  "source" : "hub",
                  "pulled_at" : "2026-01-02T03:04:05Z",
                  "files" : {
                    "config.json" : {
                      "size" : 548,
                      "sha256" : "%s",
                      "lfs" : false
                    },
                    "model.safetensors" : {
                      "size" : 88000000000,
                      "sha256" : "%s",
                      "lfs" : true
                    }
                  }
                }
                """.formatted("ab".repeat(32), "cd".repeat(32)));
        assertThat(ModelCache.readManifest(file, dir)).isEqualTo(s);
    }
}
