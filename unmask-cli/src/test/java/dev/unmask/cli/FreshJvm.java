package dev.unmask.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code unmask} in a new JVM, as a user would, with the test's class path and DJL offline. */
final class FreshJvm {
    private FreshJvm() {}

    static Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-Dai.djl.offline=true");
        // The same libtorch threads as this JVM: summation order, hence the last bits, depend on them.
        cmd.add("-Dai.djl.pytorch.num_threads=" + System.getProperty("ai.djl.pytorch.num_threads", "2"));
        cmd.add("-Dai.djl.pytorch.num_interop_threads=" + System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        // Training's own fixed count too (a resumed run keeps the count its checkpoint was made with).
        cmd.add("-Dunmask.train.threads=" + System.getProperty("unmask.train.threads", "2"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.unmask.cli.Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        return pb.start();
    }

    static int run(Path log, String... args) throws IOException, InterruptedException {
        return start(log, args).waitFor();
    }

    static String classPathSeparator() {
        return File.pathSeparator;
    }
}
