package dev.unmask.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTFeatures;
import dev.unmask.core.vit.VisionTransformer;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unmask bench}: backbone throughput with random weights of the real sizes, next to the
 * machine's ceiling (a large float32 matmul through the same engine), so a number can be judged.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure backbone throughput (images/s, GFLOP/s) against the machine's matmul ceiling.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--models", split = ",", defaultValue = "vits14,vitb14",
            description = "Backbones: vits14, vitb14 (random weights, DINOv2 sizes). Default: ${DEFAULT-VALUE}.")
    List<String> models;

    @Option(names = "--batch", split = ",", defaultValue = "1,8,32", description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batches;

    @Option(names = "--size", defaultValue = "224", description = "Input side. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--seconds", defaultValue = "6", description = "Minimum measuring time per point. Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    @Option(names = "--profile", description = "Also time each op of one transformer block separately (where the time goes).")
    boolean profile;

    @Override
    public Integer call() {
        Map<String, ViTConfig> known = new LinkedHashMap<>();
        known.put("vits14", BuiltinModels.vitSmall14());
        known.put("vitb14", BuiltinModels.vitBase14());
        for (String m : models) {
            if (!known.containsKey(m)) {
                throw new UserError("unknown bench model \"" + m + "\" (known: " + String.join(", ", known.keySet()) + ")");
            }
        }
        for (int b : batches) {
            if (b < 1 || b > 1024) {
                throw new UserError("--batch values must be between 1 and 1024");
            }
        }
        if (size < 14 || size > 2048 || size % 14 != 0) {
            throw new UserError("--size must be a multiple of 14 between 14 and 2048");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode report = StrictJson.mapper().createObjectNode();
        report.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        try (NDManager manager = NDManager.newBaseManager()) {
            double peak = matmulCeiling(manager);
            report.put("ceiling_gflops", peak);
            if (!json) {
                out.printf("ceiling: %.1f GFLOP/s (float32 2048×2048 matmul, %d threads)%n", peak, report.get("threads").asInt());
                out.printf("%-8s %5s %10s %12s %10s %8s%n", "model", "batch", "images/s", "ms/batch", "GFLOP/s", "%peak");
            }
            ArrayNode rows = report.putArray("results");
            for (String name : models) {
                ViTConfig cfg = known.get(name);
                double flops = cfg.flops(size, size);
                try (VisionTransformer vit = RandomWeights.vitModel(cfg, 1, manager)) {
                    for (int b : batches) {
                        err.printf("bench %s batch %d …%n", name, b);
                        err.flush();
                        double perBatch = timeForward(vit, manager, b);
                        double ips = b / perBatch;
                        double gflops = ips * flops / 1e9;
                        ObjectNode row = rows.addObject();
                        row.put("model", name).put("batch", b).put("size", size).put("images_per_s", ips)
                                .put("ms_per_batch", perBatch * 1e3).put("gflop_per_image", flops / 1e9)
                                .put("gflops", gflops).put("fraction_of_ceiling", gflops / peak);
                        if (!json) {
                            out.printf("%-8s %5d %10.2f %12.1f %10.1f %7.0f%%%n", name, b, ips, perBatch * 1e3, gflops, 100 * gflops / peak);
                            out.flush();
                        }
                        if (profile) {
                            row.set("profile", BlockProfile.run(vit, manager, b, size, json ? null : out));
                        }
                    }
                }
            }
        }
        if (json) {
            out.println(report.toPrettyString());
        }
        return 0;
    }

    /** Seconds per batch: one warm-up pass, then repeat until {@link #seconds} have passed (at least 3 runs). */
    private double timeForward(VisionTransformer vit, NDManager manager, int batch) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 3, size, size));
            run(vit, x);
            int runs = 0;
            long start = System.nanoTime();
            while (runs < 3 || (System.nanoTime() - start) / 1e9 < seconds) {
                run(vit, x);
                runs++;
            }
            return (System.nanoTime() - start) / 1e9 / runs;
        }
    }

    private static void run(VisionTransformer vit, NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            x.tempAttach(scope);
            ViTFeatures f = vit.features(x, 1, false, false);
            f.tokens().toFloatArray();
        }
    }

    /** Float32 GFLOP/s of a 2048³ matmul: what the engine reaches on dense, cache-friendly work. */
    static double matmulCeiling(NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            int n = 2048;
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double best = 0;
            for (int i = 0; i < 5; i++) {
                long t = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                double s = (System.nanoTime() - t) / 1e9;
                c.close();
                best = Math.max(best, 2.0 * n * n * n / s / 1e9);
            }
            return best;
        }
    }
}
