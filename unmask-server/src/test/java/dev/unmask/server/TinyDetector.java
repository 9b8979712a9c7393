package dev.unmask.server;

import dev.unmask.api.Detector;
import dev.unmask.api.LoadOptions;
import dev.unmask.api.TinyDetectors;
import dev.unmask.media.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;


/**
 * One tiny detector for every server test in the JVM ({@link TinyDetectors}, trained through the library API).
 * It is barely trained; the tests check what the server does with its reports, not how good they are.
 */
final class TinyDetector {
    private static Detector detector;
    private static Path dir;

    private TinyDetector() {}

    static synchronized Detector get() throws Exception {
        if (detector == null) {
            TestMedia.requireFfmpeg();
            TestMedia.requireBlazeFaceModel();
            dir = Files.createTempDirectory("unmask-server-test-");
            detector = Detector.load(TinyDetectors.train(dir, "server.unmask"), new LoadOptions(null, true));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                detector.close();
                UnmaskServer.deleteTree(dir);
            }));
        }
        return detector;
    }
}
