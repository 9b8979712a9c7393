package dev.unmask.spark;

import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/** The SparkSession of a batch command: the master given, the one spark-submit set, or local[*]. */
final class Sessions {
    private Sessions() {}

    static SparkSession open(String master, String app) {
        SparkSession.Builder b = SparkSession.builder().appName(app);
        String submitted = System.getProperty("spark.master");
        String m = master != null ? master : submitted != null ? submitted : "local[*]";
        b.master(m);
        if (m.startsWith("local")) {
            // In-process: no web UI, and Spark's driver listens on the loopback only (Unmask opens no outside connection).
            b.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        return b.getOrCreate();
    }

    /**
     * Runs {@code job} on {@link #open}'s session, and stops that session afterwards only if this
     * call started it: one the caller already had (a test, a notebook) stays.
     */
    static <T> T run(String master, String app, Function<SparkSession, T> job) {
        boolean ours = SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = open(master, app);
        try {
            return job.apply(spark);
        } finally {
            if (ours) {
                spark.stop();
            }
        }
    }
}
