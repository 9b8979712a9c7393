package dev.unmask.cli;

/**
 * The one place that sets engine-wide switches before DJL loads. Telemetry must never run, so
 * offline mode is forced here even if a launcher forgot it.
 */
final class EngineSettings {
    private EngineSettings() {}

    static void apply() {
        System.setProperty("ai.djl.offline", "true");
        // DJL reads OPT_OUT_TRACKING from the environment or, failing that, from system properties.
        System.setProperty("OPT_OUT_TRACKING", "true");
        int cores = Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.pytorch.num_threads",
                System.getProperty("ai.djl.pytorch.num_threads", Integer.toString(cores)));
        System.setProperty("ai.djl.pytorch.num_interop_threads",
                System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
    }
}
