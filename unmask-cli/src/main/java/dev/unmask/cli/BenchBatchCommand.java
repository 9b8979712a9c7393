package dev.unmask.cli;

import dev.unmask.core.io.FileTrees;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.api.BatchListener;
import dev.unmask.api.BatchReport;
import dev.unmask.api.CheckOptions;
import dev.unmask.api.Detector;
import dev.unmask.api.LoadOptions;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.media.dataset.MediaFilesUnder;
import dev.unmask.spark.BatchCommand;
import dev.unmask.spark.ScoreJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unmask bench batch}: the throughput of {@code unmask detect} over a folder (the library's
 * checkAll, detector loading included) against {@code unmask batch score} on Spark's local master
 * with 2 and with 1 worker threads, on the same files, runs interleaved. Spark's start-up is timed
 * apart: it is paid once per application, not per file. Needs Spark on the class path (bin/unmask
 * adds it for "bench batch", as for "batch").
 */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare files/s of detect over a folder with batch score on Spark's local[2] and local[1], on the same files"
                + " (by default 12 stills and 12 2-second videos of the astronaut photo, a ViT-S/14 detector with random weights).")
final class BenchBatchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--folder", paramLabel = "DIR", description = "The files (default: made with ffmpeg under ~/.cache/unmask/bench).")
    Path folder;

    @Option(names = "--files", defaultValue = "24", paramLabel = "N", description = "Files in the default folder. Default: ${DEFAULT-VALUE}.")
    int files;

    @Option(names = "--detector", paramLabel = "D.unmask", description = "The detector (default: ViT-S/14, random weights).")
    Path detector;

    @Option(names = "--frames", defaultValue = "16", paramLabel = "N", description = "Frames sampled per video. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--repeat", defaultValue = "2", paramLabel = "N", description = "Rounds (detect, local[2], local[1]); medians. Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(names = "--files-per-part", defaultValue = "4", paramLabel = "N", description = "batch score's files per partition. Default: ${DEFAULT-VALUE}.")
    int filesPerPart;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        BatchCommand.requireSpark();
        if (repeat < 1 || repeat > 20) {
            throw new UserError("--repeat must be between 1 and 20");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path d = detector != null ? detector : DetectBenchmark.defaultDetector();
        Path dir = folder != null ? folder : defaultFolder(files);
        List<Path> media = MediaFilesUnder.media(dir);
        if (media.isEmpty()) {
            throw new UserError(dir + ": no media files");
        }
        CheckOptions options = CheckOptions.defaults().withFrames(frames);
        double loadBefore = load();
        err.printf(Locale.ROOT, "bench batch: %d files in %s, %s, %d frames, %d rounds (load average %.2f) ...%n", media.size(), dir, d, frames,
                repeat, loadBefore);
        err.flush();
        Path work = Files.createTempDirectory("unmask-bench-batch");
        double[][] times = new double[3][repeat];
        // CPU seconds of this process too: on a shared machine the wall clock measures the neighbours as much as the job.
        double[][] cpu = new double[3][repeat];
        double[][] starts = new double[2][repeat];
        try {
            for (int r = 0; r < repeat; r++) {
                long t0 = System.nanoTime();
                double c0 = cpuSeconds();
                try (Detector det = Detector.load(d, new LoadOptions(null, true))) {
                    BatchReport report = det.checkAll(media, options, BatchListener.NONE);
                    if (report.files().size() != media.size()) {
                        throw new IllegalStateException("detect judged " + report.files().size() + " of " + media.size());
                    }
                }
                times[0][r] = (System.nanoTime() - t0) / 1e9;
                cpu[0][r] = cpuSeconds() - c0;
                for (int t = 2; t >= 1; t--) {
                    ScoreJob.Settings settings = new ScoreJob.Settings(dir.toString(), work.resolve("r" + r + "-t" + t).toString(), d, true, false,
                            frames, "largest", options.batch(), filesPerPart, false);
                    double c1 = cpuSeconds();
                    ScoreJob.Timed run = ScoreJob.timedOnLocal(t, settings);
                    cpu[3 - t][r] = cpuSeconds() - c1;
                    if (run.summary().rows() != media.size()) {
                        throw new IllegalStateException("batch score wrote " + run.summary().rows() + " rows for " + media.size() + " files");
                    }
                    starts[2 - t][r] = run.startSeconds();
                    times[3 - t][r] = run.summary().seconds();
                }
                err.printf(Locale.ROOT, "round %d: detect %.1f s (%.1f CPU s), local[2] %.1f s (+%.1f s start; %.1f CPU s with the start),"
                        + " local[1] %.1f s (+%.1f s start; %.1f CPU s)%n", r + 1, times[0][r], cpu[0][r], times[1][r], starts[0][r], cpu[1][r],
                        times[2][r], starts[1][r], cpu[2][r]);
                err.flush();
            }
        } finally {
            FileTrees.delete(work);
        }
        double detect = DetectBenchmark.median(times[0]);
        double local2 = DetectBenchmark.median(times[1]);
        double local1 = DetectBenchmark.median(times[2]);
        ObjectNode report = StrictJson.mapper().createObjectNode();
        report.put("files", media.size());
        report.put("folder", dir.toString());
        report.put("detector", d.toString());
        report.put("frames", frames);
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("load_average_before", loadBefore);
        report.put("load_average_after", load());
        report.put("detect_s", detect);
        report.put("local2_s", local2);
        report.put("local1_s", local1);
        report.put("local2_start_s", DetectBenchmark.median(starts[0]));
        report.put("local1_start_s", DetectBenchmark.median(starts[1]));
        report.put("detect_files_per_s", media.size() / detect);
        report.put("local2_files_per_s", media.size() / local2);
        report.put("local1_files_per_s", media.size() / local1);
        report.put("local2_overhead", local2 / detect - 1);
        double detectCpu = DetectBenchmark.median(cpu[0]);
        double local2Cpu = DetectBenchmark.median(cpu[1]);
        double local1Cpu = DetectBenchmark.median(cpu[2]);
        report.put("detect_cpu_s", detectCpu);
        report.put("local2_cpu_s", local2Cpu);
        report.put("local1_cpu_s", local1Cpu);
        report.put("local2_cpu_overhead", local2Cpu / detectCpu - 1);
        report.put("local2_over_local1_speedup", local1 / local2);
        ArrayNode rounds = report.putArray("rounds");
        for (int r = 0; r < repeat; r++) {
            rounds.addObject().put("detect_s", times[0][r]).put("local2_s", times[1][r]).put("local1_s", times[2][r]).put("local2_start_s", starts[0][r])
                    .put("detect_cpu_s", cpu[0][r]).put("local2_cpu_s", cpu[1][r]).put("local1_cpu_s", cpu[2][r]);
        }
        if (json) {
            out.println(report.toPrettyString());
        } else {
            out.printf(Locale.ROOT, "%d files, %d frames per video, %d cores, load average %.2f before, %.2f after (medians of %d rounds)%n",
                    media.size(), frames, report.get("cores").asInt(), loadBefore, report.get("load_average_after").asDouble(), repeat);
            out.printf(Locale.ROOT, "detect (one JVM, checkAll)    %7.1f s  %6.2f files/s%n", detect, media.size() / detect);
            out.printf(Locale.ROOT, "batch score local[2]          %7.1f s  %6.2f files/s  overhead %+.1f %% (target <= 15 %%)%n", local2,
                    media.size() / local2, (local2 / detect - 1) * 100);
            out.printf(Locale.ROOT, "batch score local[1]          %7.1f s  %6.2f files/s  local[2] is %.2f x local[1]%n", local1,
                    media.size() / local1, local1 / local2);
            out.printf(Locale.ROOT, "CPU seconds: detect %.1f, local[2] %.1f (%+.1f %%, the session's start included), local[1] %.1f%n", detectCpu,
                    local2Cpu, (local2Cpu / detectCpu - 1) * 100, local1Cpu);
            out.printf(Locale.ROOT, "Spark session start, once per application: %.1f s%n", DetectBenchmark.median(starts[0]));
        }
        out.flush();
        return 0;
    }

    private static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** N files alternating a still and a 2 s 320x320 video of the astronaut photo, made once with ffmpeg. */
    static Path defaultFolder(int n) throws IOException, InterruptedException {
        if (n < 2 || n > 10_000) {
            throw new UserError("--files must be between 2 and 10000");
        }
        Path bench = BuiltinModels.home().resolve("bench");
        Path photo = BuiltinModels.home().resolve("test-data").resolve("skimage").resolve("astronaut.png");
        if (!Files.isRegularFile(photo)) {
            throw new UserError("the benchmark files are made from " + photo + "; fetch it with bin/setup-test-data, or pass --folder");
        }
        Path dir = bench.resolve("batch-" + n);
        if (Files.isDirectory(dir) && MediaFilesUnder.media(dir).size() == n) {
            return dir;
        }
        if (!DemoCommand.onPath("ffmpeg")) {
            throw new UserError("making the benchmark videos needs ffmpeg (apt-get install ffmpeg), or pass --folder");
        }
        Path clip = bench.resolve("astronaut-320-2s.mp4");
        if (!Files.isRegularFile(clip)) {
            Files.createDirectories(bench);
            Path tmp = bench.resolve(".astronaut-320-2s.tmp.mp4");
            Process p = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "25",
                    "-t", "2", "-i", photo.toString(), "-vf", "scale=360:360,crop=320:320:'20*t':'20*t',format=yuv420p", "-c:v", "libx264",
                    "-preset", "veryfast", tmp.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new UserError("ffmpeg could not make the benchmark video " + clip);
            }
            dev.unmask.core.io.AtomicFiles.moveIntoPlace(tmp, clip);
        }
        Path tmpDir = bench.resolve(".batch-" + n + ".tmp");
        FileTrees.delete(tmpDir);
        Files.createDirectories(tmpDir);
        for (int i = 0; i < n; i++) {
            Files.copy(i % 2 == 0 ? photo : clip, tmpDir.resolve(String.format("%04d.%s", i, i % 2 == 0 ? "png" : "mp4")));
        }
        FileTrees.delete(dir);
        Files.move(tmpDir, dir);
        return dir;
    }
}
