package dev.unmask.media;

import dev.unmask.media.pixels.MediaLimits;

import dev.unmask.media.pixels.Natives;

import dev.unmask.media.pixels.Picture;

import dev.unmask.core.UserError;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Still images (PNG, JPEG, BMP). The size is read from the header and checked before the pixels
 * are decoded, so a small file declaring a huge image (an image bomb) is refused without
 * allocating it; decoding is OpenCV's, which applies a JPEG's EXIF orientation as viewers do,
 * but for 8-bit PNGs, which ImageIO decodes to the same pixels without libpng's stderr warnings.
 */
public final class ImageFiles {
    private static final Set<String> FORMATS = Set.of("png", "jpeg", "bmp");

    private ImageFiles() {}

    /** Whether the file's content is a still image Unmask reads (by content, not by name). */
    public static boolean isImage(Path file) {
        return format(file) != null;
    }

    private static String format(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
            if (iis == null) {
                return null;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
            while (readers.hasNext()) {
                String name = readers.next().getFormatName().toLowerCase(Locale.ROOT);
                if (FORMATS.contains(name)) {
                    return name;
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * An 8-bit PNG's samples as OpenCV's {@code IMREAD_COLOR} gives them (alpha dropped, grey
     * replicated, palette looked up, no gamma or colour profile applied), decoded by ImageIO:
     * OpenCV's libpng prints warnings such as "libpng warning: iCCP: known incorrect sRGB
     * profile" straight to the process's stderr, where they pass for Unmask's own. Null for the
     * layouts this does not cover (16-bit, grey below 8 bits), which OpenCV decodes.
     */
    static Picture pngSamples(byte[] bytes) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (img == null) {
            return null;
        }
        int w = img.getWidth();
        int h = img.getHeight();
        Raster r = img.getRaster();
        ColorModel cm = img.getColorModel();
        byte[] out = new byte[w * h * 3];
        // The usual layouts straight from the decoded bytes: a pixel at a time would cost a second on a 12-megapixel photo.
        if (r.getDataBuffer() instanceof java.awt.image.DataBufferByte db && db.getNumBanks() == 1) {
            byte[] src = db.getData();
            int type = img.getType();
            if (type == BufferedImage.TYPE_3BYTE_BGR && src.length == out.length) {
                return new Picture(w, h, src);
            }
            if (type == BufferedImage.TYPE_4BYTE_ABGR && src.length == w * h * 4) {
                for (int i = 0, o = 0; o < out.length; i += 4, o += 3) {
                    out[o] = src[i + 1];
                    out[o + 1] = src[i + 2];
                    out[o + 2] = src[i + 3];
                }
                return new Picture(w, h, out);
            }
            if (type == BufferedImage.TYPE_BYTE_GRAY && src.length == w * h) {
                for (int i = 0, o = 0; i < src.length; i++, o += 3) {
                    out[o] = src[i];
                    out[o + 1] = src[i];
                    out[o + 2] = src[i];
                }
                return new Picture(w, h, out);
            }
        }
        if (cm instanceof IndexColorModel icm) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int k = r.getSample(x, y, 0);
                    int i = (y * w + x) * 3;
                    out[i] = (byte) icm.getBlue(k);
                    out[i + 1] = (byte) icm.getGreen(k);
                    out[i + 2] = (byte) icm.getRed(k);
                }
            }
            return new Picture(w, h, out);
        }
        int bands = r.getNumBands();
        for (int b = 0; b < bands; b++) {
            if (r.getSampleModel().getSampleSize(b) != 8) {
                return null;
            }
        }
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && (bands == 1 || bands == 2)) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    byte v = (byte) r.getSample(x, y, 0);
                    int i = (y * w + x) * 3;
                    out[i] = v;
                    out[i + 1] = v;
                    out[i + 2] = v;
                }
            }
            return new Picture(w, h, out);
        }
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_RGB && (bands == 3 || bands == 4)) {
            int[] px = new int[bands];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    r.getPixel(x, y, px);
                    int i = (y * w + x) * 3;
                    out[i] = (byte) px[2];
                    out[i + 1] = (byte) px[1];
                    out[i + 2] = (byte) px[0];
                }
            }
            return new Picture(w, h, out);
        }
        return null;
    }

    public static Picture read(Path file, MediaLimits limits) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (size > limits.maxFileBytes()) {
            throw new UserError(file + ": " + size + " bytes is over the limit of " + limits.maxFileBytes());
        }
        try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = iis == null ? null : ImageIO.getImageReaders(iis);
            if (readers == null || !readers.hasNext()) {
                throw new UserError(file + ": not an image Unmask reads (PNG, JPEG or BMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, true);
                limits.checkFrameSize(file, reader.getWidth(0), reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the image header (" + e.getMessage() + ")");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        if ("png".equals(format(file))) {
            Picture p = pngSamples(bytes);
            if (p != null) {
                return p;
            }
        }
        Natives.opencv();
        try (BytePointer buf = new BytePointer(bytes); Mat raw = new Mat(1, bytes.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, buf);
             Mat img = opencv_imgcodecs.imdecode(raw, opencv_imgcodecs.IMREAD_COLOR)) {
            if (img == null || img.empty()) {
                throw new UserError(file + ": cannot decode the image (truncated or corrupt?)");
            }
            limits.checkFrameSize(file, img.cols(), img.rows());
            return Picture.of(img);
        }
    }
}
