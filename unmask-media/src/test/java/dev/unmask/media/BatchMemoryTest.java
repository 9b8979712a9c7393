package dev.unmask.media;

import dev.unmask.core.NativeMemory;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long batch must not grow native memory: every FFmpeg frame, packet and context, every
 * OpenCV Mat and DNN blob is freed per frame or per file, on the error paths too.
 */
class BatchMemoryTest {
    @TempDir
    static Path tmp;

    @Test
    void hundredsOfFramesAndBrokenFilesDoNotGrowNativeMemory() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        Path video = TestMedia.astronautMp4();
        Path rotated = TestMedia.astronautRotatedMp4();
        Path mirrored = TestMedia.astronautMirroredMp4(90);
        Path photo = TestMedia.photo("astronaut.png");
        byte[] whole = Files.readAllBytes(video);
        Path truncated = TestMedia.write(tmp.resolve("truncated.mp4"), Arrays.copyOf(whole, whole.length / 3));
        Path header = TestMedia.write(tmp.resolve("header-only.mp4"), Arrays.copyOf(whole, 2000));
        Path text = TestMedia.write(tmp.resolve("notes.mp4"), "not a video\n".getBytes());
        PipelineConfig every = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(50));
        int passes = 12;
        int warmUp = 2;
        long before = 0;
        long frames = 0;
        long t0 = System.nanoTime();
        // BlazeFace with eye alignment and tracking on every frame of a 50-frame H.264 video; Haar on
        // a rotated and a mirrored one (seeking, for the latter); a still image; three broken files.
        try (FacePipeline blazeFace = FacePipeline.open(FaceDetectorKind.BLAZEFACE,
                     every.withAlignment(Alignment.EYES).withSelection(FaceSelection.ALL));
             FacePipeline haar = FacePipeline.open(FaceDetectorKind.HAAR, every.withSampler(every.sampler().withFrames(8).withSeeking(0, 0)))) {
            for (int pass = 0; pass < passes; pass++) {
                if (pass == warmUp) {
                    before = NativeMemory.nativeKiB();
                }
                MediaFaces m = blazeFace.process(video);
                assertThat(m.framesWithFaces()).isEqualTo(50);
                frames += m.framesSampled();
                for (Path p : List.of(rotated, mirrored, photo)) {
                    frames += haar.process(p).framesSampled();
                }
                frames += blazeFace.process(photo).framesSampled();
                for (Path broken : List.of(header, text)) {
                    assertThatThrownBy(() -> blazeFace.process(broken)).isInstanceOf(UserError.class);
                }
                try {
                    frames += blazeFace.process(truncated).framesSampled();
                } catch (UserError expected) {
                    // Half a file may give its whole frames or a clear error; either way nothing may stay behind.
                }
            }
        }
        long after = NativeMemory.nativeKiB();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("native memory after %d passes %d KiB, after %d passes %d KiB (RSS %d KiB); %d frames in %.1f s%n", warmUp, before,
                passes, after, NativeMemory.rssKiB(), frames, seconds);
        assertThat(frames).isGreaterThan(600);
        // One 320×320 BGR frame is 300 KiB: keeping even one per file would pass this bound within the run.
        assertThat(after - before).as("native memory growth over %d passes (KiB)", passes - warmUp).isLessThan(24 * 1024);
    }
}
