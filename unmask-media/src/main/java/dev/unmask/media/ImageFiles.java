package dev.unmask.media;

import dev.unmask.core.UserError;
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
 * allocating it; decoding is OpenCV's, which applies a JPEG's EXIF orientation as viewers do.
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
        Natives.init();
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
