package dev.unmask.media.pixels;


import dev.unmask.core.UserError;
import dev.unmask.core.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An 8-bit BGR image on the Java heap (OpenCV's channel order, rows packed, no padding). Kept on
 * the heap rather than in native memory so that a crop's or an image's lifetime is the garbage
 * collector's business and a forgotten close cannot leak native memory across thousands of videos.
 * Video frames are not copied here whole ({@link NativeFrame}): 48 MB of garbage per 4096x4096
 * frame, collected lazily, made a file's memory grow with its frame size.
 */
public record Picture(int width, int height, byte[] bgr) implements FramePixels {
    public Picture {
        if (width <= 0 || height <= 0 || bgr.length != (long) width * height * 3) {
            throw new IllegalArgumentException("picture " + width + "x" + height + " with " + bgr.length + " bytes");
        }
    }

    @Override
    public Picture toPicture() {
        return this;
    }

    public int red(int x, int y) {
        return bgr[(y * width + x) * 3 + 2] & 0xff;
    }

    public int green(int x, int y) {
        return bgr[(y * width + x) * 3 + 1] & 0xff;
    }

    public int blue(int x, int y) {
        return bgr[(y * width + x) * 3] & 0xff;
    }

    @Override
    public void copyRegion(int x, int y, int w, int h, Mat dst, int dx, int dy) {
        BytePointer to = dst.data();
        long step = dst.step();
        for (int r = 0; r < h; r++) {
            to.position((dy + r) * step + dx * 3L).put(bgr, ((y + r) * width + x) * 3, w * 3);
        }
        to.position(0);
    }

    /** A native copy; the caller closes it. */
    @Override
    public Mat toMat() {
        Mat m = new Mat(height, width, opencv_core.CV_8UC3);
        m.data().put(bgr, 0, bgr.length);
        return m;
    }

    /** Copies a continuous or strided 8UC3 Mat. */
    public static Picture of(Mat m) {
        if (m.type() != opencv_core.CV_8UC3) {
            throw new IllegalArgumentException("expected an 8-bit 3-channel Mat, got type " + m.type());
        }
        int w = m.cols();
        int h = m.rows();
        byte[] out = new byte[w * h * 3];
        BytePointer data = m.data();
        long step = m.step();
        if (step == (long) w * 3) {
            data.get(out, 0, out.length);
        } else {
            for (int y = 0; y < h; y++) {
                data.position(y * step).get(out, y * w * 3, w * 3);
            }
            data.position(0);
        }
        return new Picture(w, h, out);
    }

    /** From a decoded Java image (any type; converted through RGB). */
    public static Picture of(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && img.getRaster().getDataBuffer() instanceof DataBufferByte b
                && b.getData().length == img.getWidth() * img.getHeight() * 3) {
            return new Picture(img.getWidth(), img.getHeight(), b.getData().clone());
        }
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                out[i] = (byte) row[x];
                out[i + 1] = (byte) (row[x] >> 8);
                out[i + 2] = (byte) (row[x] >> 16);
            }
        }
        return new Picture(w, h, out);
    }

    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(bgr, 0, dst, 0, bgr.length);
        return img;
    }

    /** Lossless PNG bytes. */
    public byte[] png() {
        Natives.opencv();
        try (Mat m = toMat(); BytePointer buf = new BytePointer()) {
            if (!opencv_imgcodecs.imencode(".png", m, buf)) {
                throw new IllegalStateException("PNG encoding failed");
            }
            byte[] out = new byte[(int) buf.limit()];
            buf.get(out);
            return out;
        }
    }

    /** Writes a PNG atomically: the file either does not exist or is complete. */
    public void writePng(Path file) {
        byte[] bytes = png();
        try {
            AtomicFiles.write(file, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UserError(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}
