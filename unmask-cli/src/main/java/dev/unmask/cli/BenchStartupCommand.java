package dev.unmask.cli;

import dev.unmask.core.UserError;
import dev.unmask.core.model.BuiltinModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask bench startup}: where a cold start's time goes ({@link StartupBenchmark}). */
@Command(name = "startup", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure a cold start: this JVM's start-up stage by stage (JVM, command tree, libtorch, FFmpeg, OpenCV,"
                + " BlazeFace, detector load, decode, first and second check), whether the class-data archive was used, and, when"
                + " started by bin/unmask, whole `--version` and `detect IMAGE` runs timed --runs times each (median and fastest).",
            "Default: a ViT-S/14 detector with random weights and a JPEG of the astronaut test photo (or of a synthetic face)."})
final class BenchStartupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--detector", paramLabel = "D.unmask", converter = LocalPathConverter.class,
            description = "The detector (default: ViT-S/14, random weights).")
    Path detector;

    @Option(names = "--image", paramLabel = "FILE", converter = LocalPathConverter.class, description = "The picture checked (default: a JPEG face).")
    Path image;

    @Option(names = "--runs", defaultValue = "5", paramLabel = "N",
            description = "Timed runs of each whole command through the launcher (0: none). Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--json", description = "Print results as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (runs < 0 || runs > 50) {
            throw new UserError("--runs must be between 0 and 50, got " + runs);
        }
        Path d = detector != null ? detector : DetectBenchmark.defaultDetector();
        Path img = image != null ? image : defaultImage();
        if (!Files.isRegularFile(img)) {
            throw new UserError(img + ": no such file");
        }
        String launcher = System.getProperty("unmask.launcher");
        if (launcher != null && !Files.isExecutable(Path.of(launcher))) {
            launcher = null;
        }
        StartupBenchmark.Result r = StartupBenchmark.run(d, img, launcher == null ? 0 : runs, launcher);
        if (json) {
            out.println(DetectCommand.jsonLine(StartupBenchmark.json(r)));
            out.flush();
            return 0;
        }
        out.printf(Locale.ROOT, "bench startup: %s on %s (%d classes loaded)%n", d, img, r.classesLoaded());
        double total = 0;
        for (StartupBenchmark.Stage s : r.stages()) {
            total += s.seconds();
            out.printf(Locale.ROOT, "  %-14s %7.3f s  %s%n", s.name(), s.seconds(), s.note());
        }
        out.printf(Locale.ROOT, "  %-14s %7.3f s%n", "total", total);
        out.println("class-data archive used: " + r.archive().describe());
        if (launcher == null && runs > 0) {
            out.println("whole commands: not timed (start it with bin/unmask to time --version and detect as a user runs them)");
        }
        for (StartupBenchmark.CommandTiming c : r.commands()) {
            out.printf(Locale.ROOT, "  unmask %s: median %.3f s, fastest %.3f s of %d runs%n", c.command(), c.median(), c.fastest(),
                    c.seconds().length);
        }
        out.flush();
        return 0;
    }

    /** A JPEG face, made once: the astronaut test photo when fetched, else the built-in synthetic face. */
    static Path defaultImage() {
        Path file = BuiltinModels.home().resolve("bench").resolve("startup_face.jpg");
        if (Files.isRegularFile(file)) {
            return file;
        }
        Path photo = BuiltinModels.home().resolve("test-data").resolve("skimage").resolve("astronaut.png");
        Path from = Files.isRegularFile(photo) ? photo : BuiltinModels.sampleImage();
        try {
            BufferedImage src = ImageIO.read(from.toFile());
            BufferedImage rgb = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            rgb.getGraphics().drawImage(src, 0, 0, null);
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".startup_face", ".jpg");
            if (!ImageIO.write(rgb, "jpg", tmp.toFile())) {
                throw new UserError("cannot write a JPEG here (no JPEG writer)");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UserError("cannot make the benchmark picture " + file + " (" + e.getMessage() + ")");
        }
    }
}
