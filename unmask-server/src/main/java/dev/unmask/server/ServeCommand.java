package dev.unmask.server;

import dev.unmask.api.Detector;
import dev.unmask.api.LoadOptions;
import dev.unmask.core.UserError;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask serve}: the HTTP API and web page over one loaded detector, until stopped (Ctrl-C, SIGTERM). */
@Command(name = "serve", description = "Serve an HTTP API (/v1) and a web page (/) that check uploaded images and videos with one detector.")
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--detector", required = true, paramLabel = "D", description = "Detector file written by unmask train (or demo), or a GenD"
            + " detector: its folder, or its name (e.g. gend_clip_l14) or Hub repo once pulled.")
    String detector;

    @Option(names = "--backbone", paramLabel = "DIR", description = "Backbone folder, when not where the detector was trained (its SHA-256 must match).")
    Path backbone;

    @Option(names = "--assume-crop", description = "Run a detector that does not declare how its training faces were cropped, as unmask detect --assume-crop.")
    boolean assumeCrop;

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on (0: any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address to listen on. Anything but loopback needs --token-file. Default: ${DEFAULT-VALUE}.")
    String bind;

    @Option(names = "--workers", paramLabel = "N", description = "Checks run at once, sharing the detector. Default: 1.")
    Integer workers;

    @Option(names = "--max-upload", defaultValue = "500MB", paramLabel = "SIZE", description = "Largest upload accepted (413 above). Default: ${DEFAULT-VALUE}.")
    String maxUpload;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token every /v1 call must send.")
    Path tokenFile;

    @Option(names = "--allow-dir", paramLabel = "DIR", description = "Folder whose files clients may check by path (JSON {\"path\": ...}).")
    Path allowDir;

    @Option(names = "--queue", defaultValue = "16", paramLabel = "N", description = "Checks that may wait for a worker (429 above). Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--timeout", defaultValue = "300s", paramLabel = "DURATION", description = "A check running longer is cancelled. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--retention", defaultValue = "1h", paramLabel = "DURATION",
            description = "How long finished checks, their reports and overlays are kept. Default: ${DEFAULT-VALUE}.")
    String retention;

    @Override
    public Integer call() throws Exception {
        String token = null;
        if (tokenFile != null) {
            try {
                token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UserError("cannot read --token-file " + tokenFile + ": " + e.getMessage());
            }
            if (token.length() < 16) {
                throw new UserError("the token in " + tokenFile + " is shorter than 16 characters; use a long random one (openssl rand -hex 32)");
            }
        }
        if (port < 0 || port > 65535) {
            throw new UserError("--port must be between 0 and 65535, got " + port);
        }
        UnmaskServer.Settings settings = new UnmaskServer.Settings(bind, port, workers == null ? 1 : workers, Sizes.bytes(maxUpload, "--max-upload"),
                token, allowDir, queue, Sizes.duration(timeout, "--timeout"), Sizes.duration(retention, "--retention"), null);
        // Refuse an exposed bind before spending time on loading the model.
        if (token == null && !java.net.InetAddress.getByName(bind).isLoopbackAddress()) {
            throw new UserError("--bind " + bind + " is not a loopback address: give --token-file so that only callers with the token can use the server");
        }
        PrintWriter err = spec.commandLine().getErr();
        Path detectorPath = dev.unmask.api.Models.resolveDetector(detector);
        try (Detector d = Detector.load(detectorPath, new LoadOptions(backbone, assumeCrop))) {
            UnmaskServer server = UnmaskServer.start(d, settings);
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "unmask-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            err.println("unmask: serving " + detectorPath.getFileName() + " on http://" + (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + server.port()
                    + "/ (" + settings.workers() + " worker(s), queue " + queue + (token == null ? ", no token" : ", bearer token required") + "; uploads in "
                    + server.workDir() + ")");
            stopped.await();
        }
        return 0;
    }
}
