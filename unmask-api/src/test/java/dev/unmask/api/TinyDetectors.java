package dev.unmask.api;

import dev.unmask.core.Golden;
import dev.unmask.core.train.Progress;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * A tiny detector trained through the API for tests that need one to run, not to be good: a
 * probe on the golden random tiny ViT, 16 noise images (fakes brighter), 2 epochs at 56 px.
 * Its file declares no crop contract: load it with {@code new LoadOptions(null, true)}.
 */
public final class TinyDetectors {
    private TinyDetectors() {}

    /** Trains into {@code dir} and returns the detector file. */
    public static Path train(Path dir, String name) throws IOException {
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
        TrainRequest base = TrainRequest.of(backbone.toString(), dir.resolve("list.csv"), dir.resolve("list.csv"), root, dir.resolve(name));
        TrainRequest request = new TrainRequest(base.backbone(), "probe", null, "linear", 1024, 0f, 1, false, null, null, 56, 2, 8, null, null,
                10, 3, base.train(), base.val(), base.root(), false, base.out(), dir.resolve("cache"), null, false, "TinyDetectors");
        return Path.of(Training.run(request, Progress.SILENT).detector());
    }
}
