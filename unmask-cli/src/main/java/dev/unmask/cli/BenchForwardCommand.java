package dev.unmask.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.convnet.ConvNet;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unmask bench forward}: backbone throughput with random weights of the real sizes, next to
 * the machine's ceiling (a large float32 matmul through the same engine), so a number can be judged.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure backbone throughput (images/s, GFLOP/s) against the machine's matmul ceiling, with random weights of"
                + " the real sizes. Plain `unmask bench` runs this.")
final class BenchForwardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backbone", split = ",", defaultValue = "dinov2_vits14,dinov2_vitb14", paramLabel = "NAME[@SIDE]",
            description = "Backbones: " + BenchBackbones.NAMES + "; NAME@SIDE sets another input side. Default: ${DEFAULT-VALUE}.")
    List<String> backbones;

    @Option(names = "--batch", split = ",", defaultValue = "1,8,32", paramLabel = "N", description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batches;

    @Option(names = "--size", defaultValue = "224", paramLabel = "PX", description = "Input side unless NAME@SIDE. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--seconds", defaultValue = "6", paramLabel = "S", description = "Minimum measuring time per point. Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--profile", description = "Also show where the time goes: each op of one transformer block, or each part (stem, stages,"
            + " head) of a ConvNet.")
    boolean profile;

    @Option(names = "--onnx", paramLabel = "DIR", description = "Also run ONNX Runtime (CPU) on DIR/NAME.onnx, the same network with the"
            + " same weights (written by the tests' OnnxExport), interleaved with ours in this run, and print the ratio.")
    Path onnxDir;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    /** One benchmarked network: its FLOPs per image and one timed forward pass. */
    private interface Subject extends AutoCloseable {
        double flops(int size);


        /** One forward pass: the features, copied out as a Java array. */
        float[] output(NDArray x);

        /** Where the time goes on a batch of real shapes (printed unless {@code out} is null). */
        ArrayNode profile(NDManager manager, int batch, int side, PrintWriter out);

        @Override
        void close();
    }

    private static Subject open(BenchBackbones.Choice choice, NDManager manager) {
        if (choice.vit()) {
            ViTConfig cfg = choice.vitConfig();
            VisionTransformer vit = RandomWeights.vitModel(cfg, 1, manager);
            return new Subject() {
                public double flops(int s) {
                    return cfg.flops(s, s);
                }

                public float[] output(NDArray x) {
                    return vit.features(x, 1, false, false).tokens().toFloatArray();
                }

                public ArrayNode profile(NDManager m, int batch, int side, PrintWriter out) {
                    return BlockProfile.run(vit, m, batch, side, out);
                }

                public void close() {
                    vit.close();
                }
            };
        }
        ConvNet net = ConvNets.random(BenchBackbones.CONVNETS.get(choice.name()), BenchBackbones.convNetConfig(choice.name()), manager);
        return new Subject() {
            public double flops(int s) {
                return net.flopsPerImage(s, s);
            }

            public float[] output(NDArray x) {
                return net.forward(x, 0).pooled().toFloatArray();
            }

            public ArrayNode profile(NDManager m, int batch, int side, PrintWriter out) {
                return profileConvNet(net, m, batch, side, out);
            }

            public void close() {
                net.close();
            }
        };
    }

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    int run(PrintWriter out, PrintWriter err) {
        List<BenchBackbones.Choice> plan = new ArrayList<>();
        for (String b : backbones) {
            BenchBackbones.Choice c = BenchBackbones.parse(b, size);
            int s = c.side();
            if (s < 14 || s > 2048 || (c.vit() && s % 14 != 0)) {
                throw new UserError("input side " + s + " for " + c.name() + " must be between 14 and 2048" + (c.vit() ? " and a multiple of 14" : ""));
            }
            plan.add(c);
        }
        for (int b : batches) {
            if (b < 1 || b > 1024) {
                throw new UserError("--batch values must be between 1 and 1024");
            }
        }
        if (onnxDir != null && !onnxRuntimeAvailable()) {
            throw new UserError("--onnx needs ONNX Runtime (com.microsoft.onnxruntime:onnxruntime) on the class path, and it is not there");
        }
        if (onnxDir != null && !Files.isDirectory(onnxDir)) {
            throw new UserError("--onnx " + onnxDir + ": no such directory");
        }
        ObjectNode report = StrictJson.mapper().createObjectNode();
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        report.put("threads", threads);
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("idle_threads_spin", ourThreadsSpin());
        report.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        try (NDManager manager = NDManager.newBaseManager()) {
            double peak = matmulCeiling(manager);
            report.put("ceiling_gflops", peak);
            if (!json) {
                out.printf("ceiling: %.1f GFLOP/s (float32 2048x2048 matmul, %d threads; load average %.2f); each row's ceiling and %%peak"
                        + " are measured interleaved with its passes%n", peak, threads, report.get("load_average").asDouble());
                out.printf("%-15s %5s %5s %10s %12s %10s %8s %8s%s%n", "backbone", "size", "batch", "images/s", "ms/batch", "GFLOP/s",
                        "ceiling", "%peak", onnxDir == null ? "" : String.format("  %10s %7s", "onnx img/s", "ratio"));
            }
            ObjectNode diffs = onnxDir == null ? null : report.putObject("onnx_max_abs_diff");
            ArrayNode rows = report.putArray("results");
            for (BenchBackbones.Choice c : plan) {
                String name = c.name();
                int side = c.side();
                try (Subject subject = open(c, manager); OnnxRuntimeSide ort = onnxSide(name, side, threads, out)) {
                    double flops = subject.flops(side);
                    if (ort != null) {
                        double diff = sameNetwork(subject, ort, manager, side);
                        diffs.put(name, diff);
                        if (!json) {
                            out.printf("%s: ONNX Runtime runs the same network (max |ours - onnx| = %.2g on one image); its idle threads %s, as ours do%n",
                        name, diff, ourThreadsSpin() ? "spin" : "sleep");
                        }
                    }
                    for (int b : batches) {
                        err.printf("bench %s@%d batch %d ...%n", name, side, b);
                        err.flush();
                        double[] perBatch = timeForward(subject, ort, manager, b, side);
                        double rowPeak = perBatch[2];
                        double ips = b / perBatch[0];
                        double gflops = ips * flops / 1e9;
                        ObjectNode row = rows.addObject();
                        row.put("model", name).put("batch", b).put("size", side).put("images_per_s", ips)
                                .put("ms_per_batch", perBatch[0] * 1e3).put("gflop_per_image", flops / 1e9)
                                .put("gflops", gflops).put("ceiling_gflops", rowPeak).put("fraction_of_ceiling", gflops / rowPeak);
                        String vs = "";
                        if (ort != null) {
                            double onnxIps = b / perBatch[1];
                            row.put("onnx_images_per_s", onnxIps).put("ratio_to_onnx", ips / onnxIps);
                            vs = String.format("  %10.2f %6.2fx", onnxIps, ips / onnxIps);
                        }
                        if (!json) {
                            out.printf("%-15s %5d %5d %10.2f %12.1f %10.1f %8.1f %7.0f%%%s%n", name, side, b, ips, perBatch[0] * 1e3, gflops,
                                    rowPeak, 100 * gflops / rowPeak, vs);
                            out.flush();
                        }
                        if (profile) {
                            row.set("profile", subject.profile(manager, b, side, json ? null : out));
                        }
                    }
                }
            }
        }
        if (json) {
            out.println(report.toPrettyString());
        }
        out.flush();
        return 0;
    }

    /** Time per part (stem, stages, head) of a ConvNet on its real shapes. */
    private static ArrayNode profileConvNet(ConvNet net, NDManager manager, int batch, int side, PrintWriter out) {
        ArrayNode rows = StrictJson.mapper().createArrayNode();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 3, side, side));
            List<ConvNet.PartTiming> parts = net.profile(x, 5);
            double total = parts.stream().mapToDouble(ConvNet.PartTiming::seconds).sum();
            if (out != null) {
                out.printf("    %-26s %9s %7s  %s%n", "part (batch " + batch + ")", "ms", "share", "output");
            }
            for (ConvNet.PartTiming p : parts) {
                rows.addObject().put("part", p.part()).put("ms", p.seconds() * 1e3).put("share", p.seconds() / total)
                        .put("output", p.output().toString());
                if (out != null) {
                    out.printf("    %-26s %9.2f %6.0f%%  %s%n", p.part(), p.seconds() * 1e3, 100 * p.seconds() / total, p.output());
                }
            }
        }
        return rows;
    }

    /** Whether our OpenMP threads spin while idle: unless OMP_WAIT_POLICY says PASSIVE (the launcher's default), libgomp's threads do. */
    static boolean ourThreadsSpin() {
        String policy = System.getenv("OMP_WAIT_POLICY");
        return policy == null || !policy.trim().equalsIgnoreCase("passive");
    }

    /** Whether ONNX Runtime's Java classes are on the class path (an optional dependency). */
    static boolean onnxRuntimeAvailable() {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, BenchForwardCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** ONNX Runtime on {@code DIR/NAME.onnx}, or null without --onnx or without that file (said in one line). */
    private OnnxRuntimeSide onnxSide(String name, int side, int threads, PrintWriter out) {
        if (onnxDir == null) {
            return null;
        }
        Path file = onnxDir.resolve(name + ".onnx");
        if (!Files.isRegularFile(file)) {
            if (!json) {
                out.printf("%s: no %s, so no ONNX Runtime comparison for it%n", name, file);
            }
            return null;
        }
        OnnxRuntimeSide ort = new OnnxRuntimeSide(file, threads, ourThreadsSpin());
        int exported = ort.side();
        if (exported != side) {
            ort.close();
            throw new UserError(file + " was exported for " + exported + " px input, not " + side + "; export it again or pass NAME@" + exported);
        }
        return ort;
    }

    /** Max |ours - ONNX Runtime| over one image's features; refuses a file that is not the same network. */
    private static double sameNetwork(Subject subject, OnnxRuntimeSide ort, NDManager manager, int side) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(1, 3, side, side));
            ort.setInput(x.toFloatArray(), x.getShape().getShape());
            float[] theirs = ort.run();
            float[] ours = run(subject, x);
            if (theirs.length != ours.length) {
                throw new UserError("the ONNX file's output has " + theirs.length + " values for one image, ours " + ours.length
                        + ": not the same network");
            }
            double max = 0;
            for (int i = 0; i < ours.length; i++) {
                max = Math.max(max, Math.abs(ours[i] - theirs[i]));
            }
            if (!(max <= 1e-3)) {
                throw new UserError(String.format("the ONNX file's output differs from ours by up to %.3g: not the same network or weights", max));
            }
            return max;
        }
    }

    /**
     * Seconds per batch, ours then ONNX Runtime's (NaN without it), and the matmul ceiling in
     * GFLOP/s measured between our passes: one warm-up pass each, then {@link #seconds} of passes
     * (at least 3 each), in three rounds that alternate ours, the ceiling's 2048³ matmul (for a
     * quarter of our round's time, at least once) and ONNX Runtime, so that a change of load on a
     * shared machine hits all three alike. The row's ceiling is the mean rate of those matmuls, as
     * our rate is the mean over our passes.
     */
    private double[] timeForward(Subject subject, OnnxRuntimeSide ort, NDManager manager, int batch, int side) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 3, side, side));
            run(subject, x);
            if (ort != null) {
                ort.setInput(x.toFloatArray(), x.getShape().getShape());
                ort.run();
            }
            int rounds = 3;
            double[] time = new double[2];
            int[] runs = new int[2];
            Ceiling ceiling = new Ceiling(m);
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < (ort == null ? 1 : 2); k++) {
                    boolean oursNow = ort == null || (r + k) % 2 == 0;
                    int side0 = oursNow ? 0 : 1;
                    int n = 0;
                    long start = System.nanoTime();
                    while (n < 3 / rounds || (System.nanoTime() - start) / 1e9 < seconds / rounds) {
                        if (oursNow) {
                            run(subject, x);
                        } else {
                            ort.run();
                        }
                        n++;
                    }
                    double spent = (System.nanoTime() - start) / 1e9;
                    time[side0] += spent;
                    runs[side0] += n;
                    if (oursNow) {
                        ceiling.sample(spent / 4);
                    }
                }
            }
            return new double[] {time[0] / runs[0], ort == null ? Double.NaN : time[1] / runs[1], ceiling.gflops()};
        }
    }

    private static float[] run(Subject subject, NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            x.tempAttach(scope);
            return subject.output(x);
        }
    }

    /** The ceiling's matmul sampled between passes: its mean GFLOP/s over all samples. */
    private static final class Ceiling {
        private static final int N = 2048;
        private final NDArray a;
        private final NDArray b;
        private long calls;
        private double seconds;

        Ceiling(NDManager m) {
            a = m.randomNormal(new Shape(N, N));
            b = m.randomNormal(new Shape(N, N));
            a.matMul(b).close();
        }

        /** Runs the matmul for about {@code budget} seconds, at least once. */
        void sample(double budget) {
            long start = System.nanoTime();
            do {
                long t = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                seconds += (System.nanoTime() - t) / 1e9;
                calls++;
                c.close();
            } while ((System.nanoTime() - start) / 1e9 < budget);
        }

        double gflops() {
            return 2.0 * N * N * N * calls / seconds / 1e9;
        }
    }

    /** Float32 GFLOP/s of a 2048³ matmul: what the engine reaches on dense, cache-friendly work. */
    static double matmulCeiling(NDManager manager) {
        return matmulCeiling(manager, 5);
    }

    /** As {@link #matmulCeiling(NDManager)}, best of {@code repeats}. */
    static double matmulCeiling(NDManager manager, int repeats) {
        try (NDManager m = manager.newSubManager()) {
            int n = 2048;
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double best = 0;
            for (int i = 0; i < repeats; i++) {
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
