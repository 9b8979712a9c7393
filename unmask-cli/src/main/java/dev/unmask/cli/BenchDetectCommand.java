package dev.unmask.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask bench detect}: where detect's time goes on one video ({@link DetectBenchmark}). */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure where detect's time goes on one video (decoding and sampling, face detection, the model) and its"
                + " end-to-end time (by default a 10-second 720p H.264 clip and a ViT-S/14 detector with random weights).")
final class BenchDetectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--video", paramLabel = "FILE", description = "The video (default: a 10 s 720p H.264 clip made with ffmpeg).")
    Path video;

    @Option(names = "--detector", paramLabel = "D.unmask", description = "The detector (default: ViT-S/14, random weights).")
    Path detector;

    @Option(names = "--frames", defaultValue = "32", paramLabel = "N", description = "Frames sampled. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "N", description = "Runs; medians are reported. Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "Faces per model call. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    int run(PrintWriter out, PrintWriter err) {
        if (repeat < 1 || repeat > 100) {
            throw new UserError("--repeat must be between 1 and 100");
        }
        if (batch < 1 || batch > 1024) {
            throw new UserError("--batch must be between 1 and 1024");
        }
        Path v = video != null ? video : DetectBenchmark.defaultClip();
        Path d = detector != null ? detector : DetectBenchmark.defaultDetector();
        err.printf("bench detect: %s with %s, %d frames, batch %d, %d runs ...%n", v, d, frames, batch, repeat);
        err.flush();
        DetectBenchmark.Result r = DetectBenchmark.run(v, d, frames, repeat, batch);
        ObjectNode report = StrictJson.mapper().createObjectNode();
        report.put("video", v.toString());
        report.put("detector", d.toString());
        report.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        report.put("frames", r.frames());
        report.put("faces", r.faces());
        report.put("batch", batch);
        report.put("decode_sampling_s", r.decode());
        report.put("face_detection_ms_per_frame", r.facesPerFrame() * 1e3);
        report.put("inference_s", r.model());
        report.put("sequential_sum_s", r.sequential());
        report.put("end_to_end_s", r.endToEnd());
        report.put("end_to_end_over_inference", r.endToEnd() / r.model());
        if (json) {
            out.println(report.toPrettyString());
        } else {
            out.printf(Locale.ROOT, "video %s: %d frames sampled, %d faces (medians of %d runs; %d cores, load average %.2f)%n", v,
                    r.frames(), r.faces(), repeat, report.get("cores").asInt(), report.get("load_average").asDouble());
            out.printf(Locale.ROOT, "decode + sampling   %8.3f s%n", r.decode());
            out.printf(Locale.ROOT, "face detection      %8.1f ms/frame (%.3f s)%n", r.facesPerFrame() * 1e3, r.facesPerFrame() * r.frames());
            out.printf(Locale.ROOT, "inference           %8.3f s (%d faces, batch %d)%n", r.model(), r.faces(), batch);
            out.printf(Locale.ROOT, "one after another   %8.3f s%n", r.sequential());
            out.printf(Locale.ROOT, "detect end to end   %8.3f s = %.2f x inference (target <= 1.3)%n", r.endToEnd(), r.endToEnd() / r.model());
        }
        out.flush();
        return 0;
    }
}
