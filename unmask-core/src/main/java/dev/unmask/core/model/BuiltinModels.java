package dev.unmask.core.model;

import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.ViTConfigs;
import dev.unmask.core.vit.ViTVariant;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * What Unmask can run with no download at all: a ViT-S/14 of the real DINOv2 size with seeded
 * random weights (the architecture and cost are real, the features are not meaningful) and a
 * synthetic 224×224 face-like picture. Written once under the Unmask home, atomically.
 */
public final class BuiltinModels {
    public static final String DEMO_BACKBONE = "demo_vits14_random";

    private BuiltinModels() {}

    /** The demo backbone's variant: ViT-S/14 as DINOv2 publishes it (the backbone size the paper uses most). */
    public static final ViTVariant DEMO_VARIANT = ViTVariant.VIT_SMALL_PATCH14_DINOV2;

    /** ViT-S/14 with DINOv2's settings, as its research checkpoint's config reads. */
    public static ViTConfig vitSmall14() {
        return ViTConfigs.of(DEMO_VARIANT);
    }

    /** ViT-B/14 with DINOv2's settings. */
    public static ViTConfig vitBase14() {
        return ViTConfigs.of(ViTVariant.VIT_BASE_PATCH14_DINOV2);
    }

    public static Path home() {
        return dev.unmask.core.hub.HubSettings.fromEnvironment().home();
    }

    /** The demo model directory (config.json in the original DINOv2 form + model.safetensors). */
    public static Path demoBackbone() {
        Path dir = home().resolve("builtin").resolve(DEMO_BACKBONE);
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        return writeRandomDinov2(dir, DEMO_VARIANT.hubName(), vitSmall14(), 2024);
    }

    /**
     * Writes a model directory for a DINOv2-style config (no registers, patch 14, 518 px position
     * grid, ImageNet statistics) with seeded random weights of its real size, in the original
     * DINOv2 form, so that everything that reads a backbone from disk can run it.
     *
     * @param architecture an original DINOv2 name ({@code dinov2_vits14}, {@code dinov2_vitb14}, ...);
     *                     the sizes written beside it in {@code model_args} are the config's
     */
    public static Path writeRandomDinov2(Path dir, String architecture, ViTConfig cfg, long seed) {
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve("config.json"), String.format(java.util.Locale.ROOT, """
                    {
                      "architecture": "%s",
                      "num_classes": 0,
                      "num_features": %d,
                      "model_args": {"img_size": 518, "patch_size": 14, "embed_dim": %d, "depth": %d, "num_heads": %d},
                      "pretrained_cfg": {"input_size": [3, 224, 224], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
                      "unmask_note": "seeded random weights of the real size; features are not meaningful"
                    }
                    """, architecture, cfg.embedDim(), cfg.embedDim(), cfg.depth(), cfg.numHeads()));
            Map<String, float[]> w = RandomWeights.vit(cfg, seed);
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), RandomWeights.asTensors(cfg, w), Map.of("format", "pt", "unmask", "random-demo"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A synthetic 224×224 face-like PNG (no real person), for the demo and tests. */
    public static Path sampleImage() {
        Path file = home().resolve("builtin").resolve("sample_face.png");
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            AtomicFiles.write(file, out -> ImageIO.write(drawFace(224, 7), "png", out));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static BufferedImage drawFace(int size, long seed) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        java.util.Random r = new java.util.Random(seed);
        g.setPaint(new GradientPaint(0, 0, new Color(40 + r.nextInt(60), 70, 110), size, size, new Color(180, 190, 200)));
        g.fillRect(0, 0, size, size);
        float s = size / 224f;
        g.setColor(new Color(224, 172, 140));
        g.fillOval((int) (52 * s), (int) (30 * s), (int) (120 * s), (int) (160 * s));
        g.setColor(new Color(60, 40, 30));
        g.fillOval((int) (80 * s), (int) (85 * s), (int) (18 * s), (int) (10 * s));
        g.fillOval((int) (126 * s), (int) (85 * s), (int) (18 * s), (int) (10 * s));
        g.setStroke(new BasicStroke(3 * s));
        g.setColor(new Color(150, 70, 70));
        g.drawArc((int) (88 * s), (int) (130 * s), (int) (48 * s), (int) (22 * s), 200, 140);
        g.setColor(new Color(190, 140, 110));
        g.drawLine((int) (112 * s), (int) (100 * s), (int) (106 * s), (int) (122 * s));
        g.dispose();
        return img;
    }
}
