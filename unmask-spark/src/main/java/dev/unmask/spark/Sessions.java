package dev.unmask.spark;

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
}
