package dev.unmask.media;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.NativeMemory;
import dev.unmask.media.crop.FaceCropper;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.video.SampledVideo;
import dev.unmask.media.video.VideoSampler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file's memory must not grow with its frame size below the pixel cap: a 4096x4096 video (48 MB
 * per BGR frame) is judged with faces found on a bounded working picture and crops cut from the
 * full frame. Measured in a fresh JVM with the default heap, as the launcher runs (a JVM that
 * other tests have already grown would hide garbage in pages it has), as the peak resident size
 * while the file is processed minus the resident size before.
 */
class LargeFrameMemoryTest {
    static final int SIDE = 4096;
    static final int FRAMES = 20;
    /** Peak growth allowed for one 4096x4096 file, in MiB: measured 136 (the decoder holds about 70, the reused BGR frame 48); the old code grew by 797. */
    static final long BOUND_MIB = 256;

    @TempDir
    static Path tmp;

    /** 2 s at 10 fps of a 4096x4096 backdrop with the astronaut photo (2400x2400) drifting across it. */
    static Path largeVideo() {
        TestMedia.requireFfmpeg();
        return TestMedia.video("astronaut-4096.mp4", "-f", "lavfi", "-i", "color=c=0x406080:s=" + SIDE + "x" + SIDE + ":r=10:d=2",
                "-i", TestMedia.photo("astronaut.png").toString(), "-filter_complex",
                "[1]scale=2400:2400[face];[0][face]overlay=x='600+200*t':y=800", "-frames:v", Integer.toString(FRAMES),
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p");
    }

    @Test
    void aLargeVideoStaysFarBelowAGigabyte() throws Exception {
        TestMedia.requireBlazeFaceModel();
        Path video = largeVideo();
        Path small = TestMedia.astronautMp4();
        Path out = tmp.resolve("probe.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), Probe.class.getName(), small.toString(), video.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("probe finished").isTrue();
        String report = Files.readString(out, StandardCharsets.UTF_8);
        System.out.print(report);
        assertThat(p.exitValue()).as(report).isZero();
        String line = report.lines().filter(l -> l.startsWith("peak growth KiB ")).findFirst().orElseThrow();
        String[] parts = line.split(" ");
        long growthKiB = Long.parseLong(parts[3]);
        int crops = Integer.parseInt(parts[5]);
        assertThat(crops).as("a crop in every frame").isEqualTo(FRAMES);
        assertThat(growthKiB / 1024).as("peak resident growth for a %dx%d, %d-frame video (MiB)", SIDE, SIDE, FRAMES).isLessThan(BOUND_MIB);
    }

    /** Crops are cut from the full frame: the same pixels as cutting the same box out of the full-resolution picture. */
    @Test
    void cropsAreCutFromTheFullFrame() {
        TestMedia.requireBlazeFaceModel();
        Path video = largeVideo();
        PipelineConfig config = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(2));
        SampledVideo full = new VideoSampler(config.sampler()).sample(video);
        assertThat(full.frames()).hasSize(2);
        assertThat(full.frames().get(0).picture().width()).isEqualTo(SIDE);
        MediaFaces m;
        try (FacePipeline pipeline = FacePipeline.open(FaceDetectorKind.BLAZEFACE, config)) {
            m = pipeline.process(video);
        }
        assertThat(m.crops()).hasSize(2);
        FaceCropper cropper = new FaceCropper(config.margin(), config.cropSize(), config.kernel(), config.alignment());
        for (int i = 0; i < 2; i++) {
            Crop c = m.crops().get(i);
            Picture frame = full.frames().get(i).picture();
            assertThat(c.frameNumber()).isEqualTo(full.frames().get(i).frameNumber());
            // The face is where the test put it, in full-frame pixels.
            assertThat(c.face().box().centerX()).isBetween(600.0, 600.0 + 200 * 2 + 2400);
            assertThat(c.face().box().width()).isBetween(300.0, 2400.0);
            assertThat(c.pixels().bgr()).as("crop %d", i).isEqualTo(cropper.crop(frame, c.face()).bgr());
        }
    }

    /** Runs in its own JVM: warms up on a small video, then prints the peak resident growth over one large file. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            Path small = Path.of(args[0]);
            Path large = Path.of(args[1]);
            PipelineConfig config = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(FRAMES));
            try (FacePipeline pipeline = FacePipeline.open(FaceDetectorKind.BLAZEFACE, config)) {
                for (int i = 0; i < 2; i++) {
                    pipeline.process(small);
                }
                System.gc();
                Thread.sleep(100);
                long before = NativeMemory.rssKiB();
                resetPeak();
                long t0 = System.nanoTime();
                int[] crops = {0};
                pipeline.process(large, (frame, made) -> crops[0] += made.size());
                long peak = peakKiB();
                System.out.printf("rss before %d KiB, peak %d KiB, %.1f s%n", before, peak, (System.nanoTime() - t0) / 1e9);
                System.out.println("peak growth KiB " + (peak - before) + " crops " + crops[0]);
            }
        }

        /** Linux: writing 5 to clear_refs sets the peak resident size (VmHWM) to the current one. */
        static void resetPeak() throws Exception {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            long peak = peakKiB();
            long now = NativeMemory.rssKiB();
            if (peak > now + 16 * 1024) {
                throw new IllegalStateException("the peak resident size could not be reset: " + peak + " KiB, now " + now + " KiB");
            }
        }

        static long peakKiB() throws Exception {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException("no VmHWM");
        }
    }
}
