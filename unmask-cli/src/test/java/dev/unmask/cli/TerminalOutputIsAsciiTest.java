package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.Golden;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Unmask prints is plain ASCII: without a UTF-8 locale the JVM writes {@code ?} for every
 * other character ("epochs 1?6"), so help, progress, results and errors keep to ASCII.
 */
class TerminalOutputIsAsciiTest {
    private static final Pattern NON_ASCII = Pattern.compile("[^\\x00-\\x7F]");

    @TempDir
    Path dir;

    static void assertAscii(String what, CliRun r) {
        for (String text : new String[] {r.out(), r.err()}) {
            Matcher m = NON_ASCII.matcher(text);
            if (m.find()) {
                int from = Math.max(0, m.start() - 40);
                throw new AssertionError(what + " printed non-ASCII '" + m.group() + "' in: ..."
                        + text.substring(from, Math.min(text.length(), m.end() + 40)));
            }
        }
    }

    @Test
    void helpOfEveryCommandIsAscii() {
        for (String c : List.of("features", "pull", "extract", "train", "eval", "detect", "demo", "metrics", "bench")) {
            CliRun r = CliRun.of(c, "--help");
            assertThat(r.exitCode()).isZero();
            assertAscii(c + " --help", r);
        }
        assertAscii("--help", CliRun.of("--help"));
    }

    @Test
    void featuresTrainingAndErrorsPrintAscii() throws Exception {
        Path golden = FeaturesCommandTest.golden("dinov2_orig_tiny_reg");
        CliRun features = CliRun.of("features", "--model", golden.toString(), "--image", golden.resolve("input.png").toString());
        assertThat(features.exitCode()).as(features.err()).isZero();
        assertAscii("features", features);

        Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
        Path root = dir.resolve("faces");
        FaceSet.of(3, 16, 10).byVideo().write(dir, root);
        CliRun train = CliRun.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(),
                "--val", dir.resolve("val.csv").toString(), "--root", root.toString(), "--out", dir.resolve("d.unmask").toString(),
                "--image-size", "56", "--epochs", "2", "--batch", "8");
        assertThat(train.exitCode()).as(train.err()).isZero();
        // The progress line names the epochs to run, the text that came out as "epochs 1?6".
        assertThat(train.err()).contains("epochs 1-2");
        assertAscii("train", train);

        CliRun badAugment = CliRun.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(),
                "--val", dir.resolve("val.csv").toString(), "--root", root.toString(), "--out", dir.resolve("e.unmask").toString(),
                "--augment", "jpeg=0-200");
        assertThat(badAugment.exitCode()).isEqualTo(2);
        assertAscii("train --augment jpeg=0-200", badAugment);
    }

    /** Messages no run above reaches: every string literal in the main sources is ASCII. */
    @Test
    void stringLiteralsOfTheMainSourcesAreAscii() throws IOException {
        Path repo = Path.of(System.getProperty("unmask.repo", "..")).toAbsolutePath().normalize();
        Pattern literal = Pattern.compile("\"(?:[^\"\\\\\\n]|\\\\.)*\"");
        List<String> found = new ArrayList<>();
        for (String module : List.of("unmask-core", "unmask-media", "unmask-cli")) {
            try (Stream<Path> s = Files.walk(repo.resolve(module).resolve("src/main/java"))) {
                for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                    List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).strip();
                        if (line.startsWith("*") || line.startsWith("/*") || line.startsWith("//")) {
                            continue;
                        }
                        Matcher m = literal.matcher(line);
                        while (m.find()) {
                            if (NON_ASCII.matcher(m.group()).find()) {
                                found.add(repo.relativize(f) + ":" + (i + 1) + ": " + m.group());
                            }
                        }
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }
}
