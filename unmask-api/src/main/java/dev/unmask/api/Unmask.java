package dev.unmask.api;

/**
 * Process-wide settings every entry of the API applies before the engine loads, whoever calls it
 * (the CLI, a server, a Spark executor or a Java program): DJL's telemetry must never run, so
 * offline mode is forced; libtorch gets one intra-op thread per core and one inter-op thread.
 */
public final class Unmask {
    /** Version of the JSON reports' schema (docs/schema); raised when a field changes meaning or goes. */
    public static final int SCHEMA_VERSION = 1;

    private static volatile boolean configured;

    private Unmask() {}

    /** Applies the engine settings once; later calls do nothing. Call before any DJL class is used. */
    public static void configureEngine() {
        if (configured) {
            return;
        }
        synchronized (Unmask.class) {
            if (configured) {
                return;
            }
            System.setProperty("ai.djl.offline", "true");
            // DJL reads OPT_OUT_TRACKING from the environment or, failing that, from system properties.
            System.setProperty("OPT_OUT_TRACKING", "true");
            int cores = Runtime.getRuntime().availableProcessors();
            System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", Integer.toString(cores)));
            System.setProperty("ai.djl.pytorch.num_interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
            configured = true;
        }
    }
}
