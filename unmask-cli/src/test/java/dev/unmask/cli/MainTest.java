package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the top-level command does for every subcommand: suggestions for typos, the version. */
class MainTest {

    @Test
    void aMistypedCommandGetsASuggestion() {
        CliRun r = CliRun.of("detec", "video.mp4");
        assertThat(r.exitCode()).isEqualTo(2);
        List<String> lines = r.err().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("unmask: Unmatched arguments from index 0: 'detec', 'video.mp4'");
        // Picocli ranks the commands by similarity; the closest comes first.
        assertThat(lines.get(1)).startsWith("Did you mean: unmask detect or ").endsWith("?");
        CliRun nested = CliRun.of("bench", "forwad");
        assertThat(nested.exitCode()).isEqualTo(2);
        assertThat(nested.err()).contains("Did you mean: bench forward?");
    }

    @Test
    void aMistypedOptionGetsSuggestionsEvenWhenRequiredOptionsAreMissing() {
        // Without the typo handled first, picocli reports the missing --detector and no suggestion.
        CliRun r = CliRun.of("eval", "--detectr", "d.unmask", "--test", "t.csv", "--out", "o");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines().toList()).containsExactly("unmask: Unknown options: '--detectr', 'd.unmask'",
                "Possible solutions: --detector");
        CliRun bench = CliRun.of("bench", "forward", "--bakcbone", "dinov2_vits14");
        assertThat(bench.exitCode()).isEqualTo(2);
        assertThat(bench.err()).contains("Possible solutions: --backbone, --batch");
    }

    @Test
    void otherUsageErrorsStayOneLine() {
        CliRun r = CliRun.of("metrics");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines().toList()).containsExactly("unmask: Missing required option: '--scores=FILE.csv'");
    }

    /** The build records the commit it was made from; the tests run from the checkout, so it is the checkout's HEAD. */
    @Test
    void versionShowsTheVersionAndTheCommit() throws Exception {
        for (String[] args : new String[][] {{"--version"}, {"-V"}, {"detect", "--version"}, {"bench", "train", "-V"}}) {
            CliRun r = CliRun.of(args);
            assertThat(r.exitCode()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).matches("unmask \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\((commit [0-9a-f]{12}(, modified)?|unknown commit)\\)\n");
        }
        String printed = CliRun.of("--version").out();
        Path repo = Path.of(System.getProperty("unmask.repo", "."));
        String head = git(repo, "rev-parse", "HEAD");
        if (head != null && Files.exists(repo.resolve(".git"))) {
            assertThat(printed).contains("(commit " + head.substring(0, 12));
        } else {
            assertThat(printed).contains("(unknown commit)");
        }
    }

    /** Building from a source archive (no .git) still works and says so. */
    @Test
    void theBuildRecordsAnUnknownCommitOutsideACheckout(@TempDir Path dir) throws Exception {
        Path script = Path.of(System.getProperty("unmask.repo", ".")).resolve("unmask-cli/src/build/build-info.sh");
        Path out = dir.resolve("classes/dev/unmask/cli/build-info.properties");
        Process p = new ProcessBuilder("bash", script.toString(), out.toString(), "1.2.3", dir.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        Properties props = new Properties();
        try (var in = Files.newInputStream(out)) {
            props.load(in);
        }
        assertThat(props).containsEntry("version", "1.2.3").containsEntry("commit", "unknown").containsEntry("modified", "false");
        assertThat(new BuildInfo("1.2.3", "unknown", false).describe()).isEqualTo("1.2.3 (unknown commit)");
        assertThat(new BuildInfo("1.2.3", "4d0c53ec884582bfcab8bfa79cd1c9ecff3e300b", true).describe())
                .isEqualTo("1.2.3 (commit 4d0c53ec8845, modified)");
    }

    private static String git(Path repo, String... args) throws Exception {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "git";
        cmd[1] = "-C";
        cmd[2] = repo.toString();
        System.arraycopy(args, 0, cmd, 3, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (java.io.IOException noGit) {
            return null;
        }
    }
}
