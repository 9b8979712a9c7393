package dev.unmask.server;

import dev.unmask.api.Detector;
import dev.unmask.api.LoadOptions;
import dev.unmask.api.TrainReport;
import dev.unmask.api.TrainRequest;
import dev.unmask.api.Training;
import dev.unmask.core.Golden;
import dev.unmask.core.train.Progress;
import dev.unmask.media.TestMedia;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * One tiny detector for every server test in the JVM, trained through the library API as
 * SharedDetectorTest does: a probe on the golden random tiny ViT, 16 noise PNGs, 2 epochs at 56 px.
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
            Path backbone = Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
            Path root = dir.resolve("faces");
            SplittableRandom r = new SplittableRandom(7);
            StringBuilder list = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                boolean fake = i % 2 == 1;
                BufferedImage img = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 56; y++) {
                    for (int x = 0; x < 56; x++) {
                        int v = Math.min(255, r.nextInt(160) + (fake ? 80 : 0));
                        img.setRGB(x, y, v << 16 | v << 8 | v);
                    }
                }
                String rel = (fake ? "fake/" : "real/") + i + ".png";
                Files.createDirectories(root.resolve(rel).getParent());
                ImageIO.write(img, "png", root.resolve(rel).toFile());
                list.append(rel).append(',').append(fake ? 1 : 0).append('\n');
            }
            Files.writeString(dir.resolve("list.csv"), list.toString());
            TrainRequest base = TrainRequest.of(backbone.toString(), dir.resolve("list.csv"), dir.resolve("list.csv"), root, dir.resolve("server.unmask"));
            TrainRequest request = new TrainRequest(base.backbone(), "probe", null, "linear", 1024, 0f, 1, false, null, null, 56, 2, 8, null, null,
                    10, 3, base.train(), base.val(), base.root(), false, base.out(), dir.resolve("cache"), null, false, "UnmaskServerTest");
            TrainReport report = Training.run(request, Progress.SILENT);
            detector = Detector.load(Path.of(report.detector()), new LoadOptions(null, true));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                detector.close();
                UnmaskServer.deleteTree(dir);
            }));
        }
        return detector;
    }
}
