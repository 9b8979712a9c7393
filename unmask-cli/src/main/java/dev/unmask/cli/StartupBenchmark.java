package dev.unmask.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.tensor.Scalar;
import dev.unmask.media.ImageFiles;
import dev.unmask.media.face.FaceDetector;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Natives;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where a cold start's time goes, measured in this (fresh) JVM one stage at a time, each stage's
 * first use being its cold cost: the JVM up to {@code main}, the command tree, libtorch, FFmpeg,
 * OpenCV, BlazeFace, the detector's weights, the image and the first and a second check. Then,
 * when run through the launcher, whole commands timed as a user starts them.
 */
final class StartupBenchmark {
    private StartupBenchmark() {}

    /** When {@link Main#run} was entered (wall clock, ms) and how long building the command tree took; set by Main. */
    static volatile long mainEnteredMillis;
    static volatile long commandTreeNanos;

    record Stage(String name, double seconds, String note) {}

    /** The class-data-sharing archive this JVM was asked to use, and whether it is mapped into this process. */
    record ClassArchive(String requested, boolean used) {
        String describe() {
            if (requested == null || requested.isEmpty()) {
                return "none requested (UNMASK_CDS=off, or not started by bin/unmask)";
            }
            return (used ? "yes" : "no (the JVM fell back to no archive: made by another JDK or class path, or broken)") + ", " + requested;
        }
    }

    static ClassArchive classArchive() {
        String requested = null;
        try {
            requested = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("SharedArchiveFile").getValue();
        } catch (RuntimeException e) {
            // Not HotSpot: no archive to speak of.
        }
        if (requested == null || requested.isEmpty()) {
            return new ClassArchive(null, false);
        }
        return new ClassArchive(requested, mapped(Path.of(requested)));
    }

    /** Whether the file is mapped into this process: the JVM maps an archive it accepts, and only then. */
    static boolean mapped(Path file) {
        try {
            String real = file.toRealPath().toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (line.endsWith(" " + real)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // No such file, or no /proc: not in use as far as we can tell.
        }
        return false;
    }

    record Result(List<Stage> stages, ClassArchive archive, long classesLoaded, FileCheck check, List<CommandTiming> commands) {}

    /** Whole commands run {@code runs} times through the launcher: median and fastest wall time. */
    record CommandTiming(String command, double[] seconds) {
        double median() {
            double[] s = seconds.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }

        double fastest() {
            return Arrays.stream(seconds).min().orElse(Double.NaN);
        }
    }

    static Result run(Path detector, Path image, int runs, String launcher) {
        List<Stage> stages = new ArrayList<>();
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        if (mainEnteredMillis > 0) {
            stages.add(new Stage("jvm", (mainEnteredMillis - jvmStart) / 1e3, "JVM start to main"));
        }
        if (commandTreeNanos > 0) {
            stages.add(new Stage("command_tree", commandTreeNanos / 1e9, "picocli builds the options of the command run"));
        }
        long t = System.nanoTime();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            Scalar.mul(m.create(new float[] {1, 2}), 2f).toFloatArray();
        }
        t = stage(stages, "libtorch", t, "DJL's PyTorch engine: native library and first op");
        Natives.ffmpeg();
        org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.avformat.class);
        org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.swscale.class);
        t = stage(stages, "ffmpeg", t, "FFmpeg natives (videos only; a still image does not load them)");
        Natives.opencv();
        org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_imgcodecs.class);
        org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_dnn.class);
        t = stage(stages, "opencv", t, "OpenCV natives (image decoding, BlazeFace, crops)");
        try (FaceDetector f = FaceDetectorKind.BLAZEFACE.open()) {
            f.id();
        }
        t = stage(stages, "blazeface", t, "BlazeFace network read");
        FileCheck check;
        // Timing only: a detector that does not declare its crops runs with extract's (the benchmark's own declares none).
        try (Detector d = Detector.load(detector, new dev.unmask.api.LoadOptions(null, true, false))) {
            t = stage(stages, "detector_load", t, "detector and backbone weights, crop contract checked");
            ImageFiles.read(image, MediaLimits.DEFAULT);
            t = stage(stages, "decode", t, "the image decoded");
            check = d.check(image);
            t = stage(stages, "first_check", t, "first check: decode, face, crop, model (first call)");
            d.check(image);
            t = stage(stages, "second_check", t, "the same check again, warm");
        }
        ClassArchive archive = classArchive();
        long classes = ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount();
        List<CommandTiming> commands = new ArrayList<>();
        if (runs > 0 && launcher != null) {
            commands.add(time(launcher, runs, "--version"));
            commands.add(time(launcher, runs, "detect", image.toString(), "--detector", detector.toString(), "--assume-crop"));
        }
        return new Result(stages, archive, classes, check, commands);
    }

    private static long stage(List<Stage> stages, String name, long t0, String note) {
        long t1 = System.nanoTime();
        stages.add(new Stage(name, (t1 - t0) / 1e9, note));
        return t1;
    }

    static CommandTiming time(String launcher, int runs, String... args) {
        List<String> cmd = new ArrayList<>(List.of(launcher));
        cmd.addAll(List.of(args));
        double[] seconds = new double[runs];
        try {
            // One run first, not counted: the page cache then holds the jars and natives, as after any earlier use.
            for (int i = -1; i < runs; i++) {
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(10, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new UserError("bench startup: " + String.join(" ", cmd) + " did not finish in 10 minutes");
                }
                if (p.exitValue() != 0) {
                    throw new UserError("bench startup: " + String.join(" ", cmd) + " failed (exit " + p.exitValue() + ")");
                }
                if (i >= 0) {
                    seconds[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
        } catch (IOException e) {
            throw new UserError("bench startup: cannot run " + launcher + " (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
        return new CommandTiming(String.join(" ", args), seconds);
    }

    static ObjectNode json(Result r) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        ArrayNode stages = o.putArray("stages");
        for (Stage s : r.stages()) {
            stages.addObject().put("stage", s.name()).put("seconds", s.seconds()).put("note", s.note());
        }
        ObjectNode a = o.putObject("class_archive");
        a.put("requested", r.archive().requested());
        a.put("used", r.archive().used());
        o.put("classes_loaded", r.classesLoaded());
        o.put("verdict", r.check().verdict().id());
        ArrayNode commands = o.putArray("commands");
        for (CommandTiming c : r.commands()) {
            ObjectNode n = commands.addObject();
            n.put("command", c.command());
            n.put("median_seconds", c.median());
            n.put("fastest_seconds", c.fastest());
            ArrayNode all = n.putArray("seconds");
            Arrays.stream(c.seconds()).forEach(all::add);
        }
        return o;
    }
}
