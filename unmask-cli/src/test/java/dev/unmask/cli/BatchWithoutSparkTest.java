package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The CLI's own class path has no Spark (bin/unmask adds it for "batch" and "bench batch" only, and
 * this module's tests run without it): the commands are listed, their help works, and running one
 * says in one line how to get Spark, instead of a NoClassDefFoundError. The jobs themselves are
 * tested in unmask-spark (SparkBatchTest), where Spark is on the class path.
 */
class BatchWithoutSparkTest {
    @Test
    void batchIsListedAndItsHelpWorksWithoutSpark() {
        CliRun top = CliRun.of("--help");
        assertThat(top.exitCode()).isZero();
        assertThat(top.out()).contains("  batch ");
        CliRun help = CliRun.of("batch", "score", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--files-per-part=N", "--master=URL");
        assertThat(CliRun.of("bench", "batch", "--help").exitCode()).isZero();
    }

    @Test
    void runningABatchWithoutSparkIsAOneLineError() {
        for (String[] args : new String[][] {{"batch", "score", "in", "--out", "out", "--detector", "d.unmask"},
            {"batch", "extract", "root", "--out", "out"}, {"bench", "batch"}}) {
            CliRun r = CliRun.of(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines().toList()).as(r.err()).containsExactly("unmask: Spark is not on the class path: run 'unmask batch' through"
                    + " bin/unmask (it adds unmask-spark/target/lib) or submit the jar with spark-submit");
        }
    }
}
