package dev.unmask.media;

import dev.unmask.media.pixels.MediaLimits;

import dev.unmask.media.pixels.Natives;

import dev.unmask.media.pixels.Picture;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PNGs are decoded by ImageIO to exactly the pixels OpenCV gives, and no libpng warning (such as
 * the "iCCP: known incorrect sRGB profile" of astronaut.png) reaches the user's terminal.
 */
class PngDecodingTest {
    @TempDir
    Path dir;

    static Picture opencv(byte[] bytes) {
        Natives.init();
        try (BytePointer buf = new BytePointer(bytes); Mat raw = new Mat(1, bytes.length, opencv_core.CV_8UC1, buf);
             Mat img = opencv_imgcodecs.imdecode(raw, opencv_imgcodecs.IMREAD_COLOR)) {
            return Picture.of(img);
        }
    }

    static byte[] png(BufferedImage img) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, "png", out)).isTrue();
        return out.toByteArray();
    }

    @Test
    void imageIoGivesOpenCvsPixelsForEveryEightBitLayout() throws Exception {
        List<byte[]> pngs = new ArrayList<>();
        for (String photo : List.of("astronaut.png", "camera.png", "chelsea.png", "coffee.png")) {
            pngs.add(Files.readAllBytes(TestMedia.photo(photo)));
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_4BYTE_ABGR,
            BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_BYTE_INDEXED, BufferedImage.TYPE_BYTE_BINARY, BufferedImage.TYPE_USHORT_GRAY}) {
            BufferedImage img = new BufferedImage(37, 23, type);
            for (int y = 0; y < 23; y++) {
                for (int x = 0; x < 37; x++) {
                    img.setRGB(x, y, r.nextInt());
                }
            }
            pngs.add(png(img));
        }
        int byImageIo = 0;
        for (byte[] bytes : pngs) {
            Picture mine = ImageFiles.pngSamples(bytes);
            if (mine == null) {
                continue;
            }
            byImageIo++;
            Picture theirs = opencv(bytes);
            assertThat(mine.width()).isEqualTo(theirs.width());
            assertThat(mine.height()).isEqualTo(theirs.height());
            assertThat(mine.bgr()).isEqualTo(theirs.bgr());
        }
        // All but the 16-bit grey one.
        assertThat(byImageIo).isEqualTo(pngs.size() - 1);
    }

    /** Reads one image as detect does; run in a fresh JVM so that native stderr can be seen. */
    public static void main(String[] args) {
        Picture p = ImageFiles.read(Path.of(args[0]), MediaLimits.DEFAULT);
        System.out.println("read " + p.width() + "x" + p.height());
    }

    @Test
    void noLibpngWarningReachesStderr() throws Exception {
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), PngDecodingTest.class.getName(), TestMedia.photo("astronaut.png").toString())
                .redirectError(err.toFile()).redirectOutput(dir.resolve("out.txt").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(dir.resolve("out.txt"))).contains("read 512x512");
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readString(err, StandardCharsets.UTF_8)).doesNotContain("libpng");
    }
}
