package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.io.StrictJson;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Throughput of a ConvNet forward pass (features and logits), for tuning, not for tests:
 * {@code ConvNetBenchmark <model dir> [size=224] [batches=1,8] [seconds=10]}. Prints images/s
 * (from the median batch time) and GFLOP/s (analytic FLOPs, {@link ConvNet#flopsPerImage}) per batch size. Random input:
 * the cost of these networks does not depend on the pixel values.
 */
public final class ConvNetBenchmark {
    private ConvNetBenchmark() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ConvNetBenchmark <model dir> [size=224] [batches=1,8] [seconds=10]");
            System.exit(2);
        }
        // DJL must never phone home (DESIGN.md); this launcher sets it like every other one.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        Path dir = Path.of(args[0]);
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        String[] batches = (args.length > 2 ? args[2] : "1,8").split(",");
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 10;

        JsonNode config = StrictJson.read(dir.resolve("config.json"));
        try (NDManager manager = NDManager.newBaseManager();
                SafeTensors weights = SafeTensors.openDirectory(dir);
                ConvNet net = ConvNets.load(config.get("architecture").asText(), config, weights, manager)) {
            double gflops = net.flopsPerImage(size, size) / 1e9;
            // Numbers from a shared machine mean little without its load: print it with them.
            System.out.printf(Locale.ROOT,
                    "%s at %dx%d: %.3f GFLOPs/image; threads %s (interop %s), %d cores, load average %.2f%n",
                    net.architecture(), size, size, gflops, System.getProperty("ai.djl.pytorch.num_threads", "default"),
                    System.getProperty("ai.djl.pytorch.num_interop_threads", "default"),
                    Runtime.getRuntime().availableProcessors(),
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            for (String b : batches) {
                int batch = Integer.parseInt(b.trim());
                try (NDManager scope = manager.newSubManager()) {
                    NDArray input = scope.randomNormal(new Shape(batch, 3, size, size));
                    for (int i = 0; i < 3; i++) {
                        run(net, input);
                    }
                    List<Long> times = new ArrayList<>();
                    long start = System.nanoTime();
                    while (System.nanoTime() - start < seconds * 1e9 || times.size() < 3) {
                        long t = System.nanoTime();
                        run(net, input);
                        times.add(System.nanoTime() - t);
                    }
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    Collections.sort(times);
                    // The median, not the mean: on a shared machine a few runs stall behind other work.
                    double median = times.get(times.size() / 2) / 1e9;
                    double imagesPerSecond = batch / median;
                    System.out.printf(Locale.ROOT,
                            "batch %2d: %7.1f images/s, median %6.1f ms/batch (fastest %.1f, mean %.1f), %5.1f GFLOP/s,"
                                    + " %d runs%n",
                            batch, imagesPerSecond, 1e3 * median, times.get(0) / 1e6, 1e3 * elapsed / times.size(),
                            imagesPerSecond * gflops, times.size());
                }
            }
        }
    }

    private static void run(ConvNet net, NDArray input) {
        ConvNetFeatures f = net.forward(input, 0);
        // Reading a value waits for the engine; then the outputs are freed at once.
        f.pooled().getFloat(0, 0);
        f.pooled().close();
        if (f.logits() != null) {
            f.logits().close();
        }
    }
}
