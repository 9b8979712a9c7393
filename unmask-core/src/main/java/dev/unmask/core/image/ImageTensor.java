package dev.unmask.core.image;

import dev.unmask.core.UserError;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An RGB image as float32 CHW, normalised as the research code does: {@code (v/255 − mean)/std},
 * computed in float32 in that order so the input matches PyTorch's bit for bit.
 */
public final class ImageTensor {
    /** Refuse images whose declared size would need more than this many pixels (image bombs). */
    public static final long MAX_PIXELS = 64L * 1024 * 1024;

    private ImageTensor() {}

    /** 8-bit RGB samples [3][H][W] (0–255), read from a PNG/JPEG/BMP file. */
    public static int[][][] readRgb(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": no such image file");
        }
        BufferedImage img;
        try (InputStream in = Files.newInputStream(file); ImageInputStream iis = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
            if (iis == null || !readers.hasNext()) {
                throw new UserError(file + ": not an image Unmask can read (PNG, JPEG or BMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                // Checked from the header, before the decoder allocates the raster.
                if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                    throw new UserError(file + ": image declares " + w + "x" + h + " pixels, over the limit of " + MAX_PIXELS);
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserError u) {
                throw u;
            }
            throw new UserError(file + ": cannot decode image (" + String.valueOf(e.getMessage()).replaceAll("\\s+", " ") + ")");
        }
        return rgb(img);
    }

    /** Samples of a decoded image; 16-bit channels are scaled to 8-bit, grey is replicated, alpha dropped. */
    public static int[][][] rgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[][][] out = new int[3][h][w];
        if (img.getColorModel() instanceof IndexColorModel) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int argb = img.getRGB(x, y);
                    out[0][y][x] = (argb >> 16) & 0xff;
                    out[1][y][x] = (argb >> 8) & 0xff;
                    out[2][y][x] = argb & 0xff;
                }
            }
            return out;
        }
        // Raster samples, not getRGB: getRGB would colour-convert grey images and change values.
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        int bits = img.getColorModel().getComponentSize(0);
        int[] buf = new int[w * bands];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, buf);
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int band = bands >= 3 ? c : 0;
                    int v = buf[x * bands + band];
                    out[c][y][x] = bits == 16 ? (v + 128) / 257 : v;
                }
            }
        }
        return out;
    }

    /** Normalised float32 CHW, flattened. */
    public static float[] normalize(int[][][] rgb, float[] mean, float[] std) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        float[] out = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[(c * h + y) * w + x] = ((float) rgb[c][y][x] / 255f - mean[c]) / std[c];
                }
            }
        }
        return out;
    }

    /** Bicubic resize to size×size (for features --size), via Java2D; lossless formats only are read exactly. */
    public static int[][][] resize(int[][][] rgb, int size) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        BufferedImage src = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                src.setRGB(x, y, (rgb[0][y][x] << 16) | (rgb[1][y][x] << 8) | rgb[2][y][x]);
            }
        }
        BufferedImage dst = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = dst.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(src, 0, 0, size, size, null);
        g.dispose();
        return rgb(dst);
    }
}
