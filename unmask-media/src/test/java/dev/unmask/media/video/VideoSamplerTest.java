package dev.unmask.media.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.TestMedia;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoSamplerTest {
    static final VideoSampler SAMPLER = new VideoSampler(SamplerConfig.DEFAULT);

    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsFfmpeg() {
        TestMedia.requireFfmpeg();
    }

    /** Which of ffmpeg's own decoded frames a sampled picture is, and how far it is from it (mean |Δ| per byte). */
    static double[] closestFrame(byte[] all, Picture p) {
        int size = p.bgr().length;
        int n = all.length / size;
        int best = -1;
        double bestDiff = Double.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            long sum = 0;
            for (int i = 0; i < size; i++) {
                sum += Math.abs((all[k * size + i] & 0xff) - (p.bgr()[i] & 0xff));
            }
            double d = sum / (double) size;
            if (d < bestDiff) {
                bestDiff = d;
                best = k;
            }
        }
        return new double[] {best, bestDiff};
    }

    @Test
    void h264FramesAreEvenlySpacedAndAreTheFramesFfmpegDecodes() {
        Path video = TestMedia.counterMp4();
        SampledVideo s = SAMPLER.sample(video);
        assertThat(s.info().frameCount()).isEqualTo(75);
        assertThat(s.frames()).hasSize(32);
        byte[] all = TestMedia.ffmpegFrames(video);
        for (int i = 0; i < 32; i++) {
            VideoFrame f = s.frames().get(i);
            // The frame on screen at the middle of the i-th of 32 equal spans of 75 frames.
            int expected = (int) Math.floor((i + 0.5) * 75 / 32.0);
            assertThat(f.frameNumber()).as("sample %d", i).isEqualTo(expected);
            assertThat(f.seconds()).isCloseTo(expected / 25.0, org.assertj.core.data.Offset.offset(1e-6));
            double[] match = closestFrame(all, f.picture());
            assertThat((int) match[0]).as("content of sample %d", i).isEqualTo(expected);
            assertThat(match[1]).as("colour conversion difference").isLessThan(3.0);
        }
        assertThat(s.info().damaged()).isFalse();
    }

    @Test
    void vp9WebmAndMpeg4AviGiveTheirFrames() {
        for (Path video : List.of(TestMedia.astronautWebm(), TestMedia.astronautAvi())) {
            SampledVideo s = new VideoSampler(SamplerConfig.DEFAULT.withFrames(8)).sample(video);
            assertThat(s.info().frameCount()).as(video.toString()).isEqualTo(50);
            assertThat(s.frames()).hasSize(8);
            byte[] all = TestMedia.ffmpegFrames(video);
            for (VideoFrame f : s.frames()) {
                double[] match = closestFrame(all, f.picture());
                assertThat(match[1]).as("%s frame %d", video, f.frameNumber()).isLessThan(3.0);
                // The slow pan moves 0.8 px per frame, so neighbours differ little: allow ±1.
                assertThat(Math.abs(match[0] - f.frameNumber())).as("%s frame %d", video, f.frameNumber()).isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void rotationMetadataIsHonoured() {
        Path video = TestMedia.astronautRotatedMp4();
        SampledVideo s = new VideoSampler(SamplerConfig.DEFAULT.withFrames(4)).sample(video);
        assertThat(s.info().rotation()).isEqualTo(270);
        Picture p = s.frames().get(0).picture();
        assertThat(p.width()).isEqualTo(320);
        assertThat(p.height()).isEqualTo(240);
        byte[] all = TestMedia.ffmpegFrames(video);
        assertThat(closestFrame(all, p)[1]).as("same pixels as ffmpeg's autorotated frame").isLessThan(3.0);
    }

    /** A frame of ffmpeg's plain decoding, mirrored left to right and, when {@code transpose}, then turned a quarter counter-clockwise. */
    private static Picture mirrored(byte[] all, int frame, int w, int h, boolean transpose) {
        byte[] out = new byte[w * h * 3];
        int base = frame * w * h * 3;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Mirroring then a counter-clockwise quarter turn is a transposition: (x, y) goes to (y, x).
                int to = transpose ? (x * h + y) * 3 : (y * w + (w - 1 - x)) * 3;
                System.arraycopy(all, base + (y * w + x) * 3, out, to, 3);
            }
        }
        return transpose ? new Picture(h, w, out) : new Picture(w, h, out);
    }

    private static double meanDifference(Picture a, Picture b) {
        long sum = 0;
        for (int i = 0; i < a.bgr().length; i++) {
            sum += Math.abs((a.bgr()[i] & 0xff) - (b.bgr()[i] & 0xff));
        }
        return sum / (double) a.bgr().length;
    }

    @Test
    void aMirroringDisplayMatrixHoldsFromItsFrameToTheNextKeyframe() {
        // Keyframes at 0, 12 and 24; the SEI rides on frame 0, so frames 0-11 are shown mirrored.
        byte[] plain = TestMedia.ffmpegFrames(TestMedia.astronautLandscapeMp4());
        for (int rotate : new int[] {0, 90}) {
            Path video = TestMedia.astronautMirroredMp4(rotate);
            byte[] ffmpegShows = TestMedia.ffmpegFrames(video);
            for (boolean seeking : new boolean[] {false, true}) {
                SamplerConfig config = SamplerConfig.DEFAULT.withFrames(seeking ? 4 : 25);
                SampledVideo s = new VideoSampler(seeking ? config.withSeeking(0, 0) : config).sample(video);
                String what = "rotate " + rotate + (seeking ? " by seeking" : "");
                assertThat(s.info().seeked()).as(what).isEqualTo(seeking);
                assertThat(s.info().mirrored()).as(what).isTrue();
                assertThat(s.info().rotation()).as(what).isEqualTo(rotate == 0 ? 0 : 270);
                for (VideoFrame f : s.frames()) {
                    int n = f.frameNumber();
                    boolean underSei = n < 12;
                    Picture expected = underSei ? mirrored(plain, n, 320, 240, rotate == 90) : new Picture(320, 240,
                            Arrays.copyOfRange(plain, n * 320 * 240 * 3, (n + 1) * 320 * 240 * 3));
                    assertThat(f.picture().width()).as("%s frame %d", what, n).isEqualTo(expected.width());
                    assertThat(meanDifference(f.picture(), expected)).as("%s frame %d", what, n).isLessThan(3.0);
                    if (n == 0) {
                        // Where ffmpeg's command line applies the SEI too (it does so on that frame only).
                        assertThat(closestFrame(ffmpegShows, f.picture())[1]).as(what).isLessThan(3.0);
                    }
                }
            }
        }
    }

    @Test
    void aMirroringDisplayMatrixInTheContainerIsAppliedToEveryFrame() {
        int one = 1 << 16;
        int[][] matrices = {
            {-one, 0, 0, 0, one, 0, 320 * one, 0, 1 << 30}, // mirrored left to right
            {0, one, 0, one, 0, 0, 0, 0, 1 << 30}, // mirrored, then a quarter turn: a transposition
        };
        byte[] plain = TestMedia.ffmpegFrames(TestMedia.astronautLandscapeMp4());
        for (int k = 0; k < matrices.length; k++) {
            Path video = TestMedia.astronautWithTrackMatrix("astronaut-track-matrix-" + k + ".mp4", matrices[k]);
            SampledVideo s = new VideoSampler(SamplerConfig.DEFAULT.withFrames(4)).sample(video);
            assertThat(s.info().mirrored()).as(video.toString()).isTrue();
            byte[] all = TestMedia.ffmpegFrames(video);
            for (VideoFrame f : s.frames()) {
                assertThat(f.picture().width()).isEqualTo(k == 0 ? 320 : 240);
                assertThat(closestFrame(all, f.picture())[1]).as("%s frame %d: pixels as ffmpeg shows them", video, f.frameNumber())
                        .isLessThan(3.0);
                // The slow pan makes neighbouring frames alike: the frame itself is checked against the plain decoding.
                assertThat(meanDifference(f.picture(), mirrored(plain, f.frameNumber(), 320, 240, k == 1))).isLessThan(3.0);
            }
        }
    }

    @Test
    void fileNamesWithColonsSpacesAndNonAsciiLettersOpen() throws Exception {
        for (String name : List.of("http:clip.mp4", "vidéo über #1 ?.mp4", "%d frames.mp4")) {
            Path copy = tmp.resolve(name);
            Files.copy(TestMedia.astronautMp4(), copy);
            assertThat(new VideoSampler(SamplerConfig.DEFAULT.withFrames(2)).sample(copy).frames()).as(name).hasSize(2);
        }
    }

    @Test
    void aClipShorterThanNGivesEachOfItsFramesOnce() {
        Path video = TestMedia.video("two-frames.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "2",
                "-c:v", "libx264", "-pix_fmt", "yuv420p");
        SampledVideo s = SAMPLER.sample(video);
        assertThat(s.frames()).extracting(VideoFrame::frameNumber).containsExactly(0, 1);
    }

    @Test
    void variableFrameRateIsSampledEvenlyInTime() {
        // 40 frames in the first second, then 10 frames over the next two seconds.
        Path video = TestMedia.video("vfr.mkv", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2", "-vf",
                "settb=1/1000,setpts='if(lt(N,40),N/40,1+(N-40)/5)/TB'", "-vsync", "vfr", "-enc_time_base", "1/1000", "-c:v", "libx264", "-pix_fmt", "yuv420p");
        SampledVideo s = new VideoSampler(SamplerConfig.DEFAULT.withFrames(6)).sample(video);
        assertThat(s.info().frameCount()).isEqualTo(50);
        // Instants 0.25, 0.75, … 2.75 s of a 3 s span; the frame on screen at each (timestamps are
        // whole milliseconds, so 0.25 may land on the frame before). Index-based spacing would
        // instead put four of the six samples in the first second.
        double[] expected = {0.25, 0.75, 1.2, 1.6, 2.2, 2.6};
        assertThat(s.frames()).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(s.frames().get(i).seconds()).as("sample %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(0.026));
        }
    }

    @Test
    void longVideosAreSampledBySeekingToTheSameFrames() {
        Path video = TestMedia.video("long.mp4", "-f", "lavfi", "-i", "testsrc=size=96x72:rate=25:duration=240", "-c:v", "libx264",
                "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p");
        SamplerConfig seeking = SamplerConfig.DEFAULT.withFrames(8).withSeeking(60, 4);
        SamplerConfig sequential = SamplerConfig.DEFAULT.withFrames(8).withSeeking(1e9, 4);
        SampledVideo a = new VideoSampler(seeking).sample(video);
        SampledVideo b = new VideoSampler(sequential).sample(video);
        assertThat(a.info().seeked()).isTrue();
        assertThat(b.info().seeked()).isFalse();
        assertThat(a.frames()).extracting(VideoFrame::frameNumber).isEqualTo(b.frames().stream().map(VideoFrame::frameNumber).toList());
        for (int i = 0; i < a.frames().size(); i++) {
            assertThat(a.frames().get(i).picture().bgr()).as("sample %d", i).isEqualTo(b.frames().get(i).picture().bgr());
        }
        // Seeking decodes 8 GOPs instead of 6000 frames.
        assertThat(a.decodeSeconds()).isLessThan(b.decodeSeconds());
    }

    @Test
    void aTruncatedMp4WithItsIndexAtTheEndIsAClearError() {
        byte[] whole = TestMedia.read(TestMedia.astronautMp4());
        Path cut = TestMedia.write(tmp.resolve("truncated.mp4"), Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> SAMPLER.sample(cut)).isInstanceOf(UserError.class)
                .hasMessageContaining("truncated.mp4").hasMessageContaining("truncated or corrupt");
    }

    @Test
    void aTruncatedFaststartMp4GivesTheFramesItHas() {
        Path fast = TestMedia.video("astronaut-faststart.mp4", "-i", TestMedia.astronautMp4().toString(), "-c", "copy",
                "-movflags", "+faststart");
        byte[] whole = TestMedia.read(fast);
        Path cut = TestMedia.write(tmp.resolve("truncated-faststart.mp4"), Arrays.copyOf(whole, whole.length / 2));
        SampledVideo s = new VideoSampler(SamplerConfig.DEFAULT.withFrames(8)).sample(cut);
        assertThat(s.info().damaged()).isTrue();
        assertThat(s.info().frameCount()).isBetween(5, 49);
        assertThat(s.frames()).hasSizeBetween(5, 8);
        byte[] all = TestMedia.ffmpegFrames(TestMedia.astronautMp4());
        for (VideoFrame f : s.frames()) {
            assertThat(closestFrame(all, f.picture())[1]).isLessThan(3.0);
        }
    }

    /** Damage inside the data: the decoder skips what it cannot read, as players do; whole frames come out, marked damaged. */
    @Test
    void corruptDataInTheMiddleGivesTheFramesThatDecodeOrAClearError() {
        for (Path source : List.of(TestMedia.astronautMp4(), TestMedia.astronautWebm(), TestMedia.astronautAvi())) {
            byte[] bytes = TestMedia.read(source);
            java.util.Random r = new java.util.Random(7);
            for (int i = bytes.length * 2 / 5; i < bytes.length * 3 / 5; i++) {
                bytes[i] = (byte) r.nextInt();
            }
            Path damaged = TestMedia.write(tmp.resolve("damaged-" + source.getFileName()), bytes);
            try {
                SampledVideo s = new VideoSampler(SamplerConfig.DEFAULT.withFrames(8)).sample(damaged);
                assertThat(s.frames()).as(damaged.toString()).isNotEmpty();
                for (VideoFrame f : s.frames()) {
                    assertThat(f.picture().width()).isEqualTo(320);
                }
            } catch (UserError e) {
                assertThat(e.getMessage()).startsWith(damaged + ": ").doesNotContain("\n");
            }
        }
    }

    @Test
    void brokenFilesAreOneLineErrorsNamingTheFile() {
        Path empty = TestMedia.write(tmp.resolve("zero.mp4"), new byte[0]);
        Path text = TestMedia.write(tmp.resolve("notavideo.mp4"), "this is not a video\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        Path audio = TestMedia.video("audio-only.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac");
        byte[] garbage = new byte[200_000];
        new java.util.Random(5).nextBytes(garbage);
        Path random = TestMedia.write(tmp.resolve("random.webm"), garbage);
        assertThatThrownBy(() -> SAMPLER.sample(empty)).isInstanceOf(UserError.class).hasMessage(empty + ": empty file (0 bytes)");
        assertThatThrownBy(() -> SAMPLER.sample(text)).isInstanceOf(UserError.class)
                .hasMessage(text + ": not a video file (no known container format)");
        assertThatThrownBy(() -> SAMPLER.sample(audio)).isInstanceOf(UserError.class).hasMessage(audio + ": no video stream (audio only)");
        assertThatThrownBy(() -> SAMPLER.sample(random)).isInstanceOf(UserError.class).hasMessageStartingWith(random + ": ");
        assertThatThrownBy(() -> SAMPLER.sample(tmp.resolve("missing.mp4"))).isInstanceOf(UserError.class).hasMessageEndingWith("no such file");
    }

    @Test
    void playlistsAndConcatListsAreRefusedBeforeFfmpegOpensThem() throws Exception {
        Path target = TestMedia.astronautMp4();
        Path hls = TestMedia.write(tmp.resolve("list.m3u8"), ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n" + target + "\n#EXT-X-ENDLIST\n")
                .getBytes(StandardCharsets.UTF_8));
        Path hlsInDisguise = TestMedia.write(tmp.resolve("clip.mp4"), Files.readAllBytes(hls));
        Path concat = TestMedia.write(tmp.resolve("list.ffconcat"), ("ffconcat version 1.0\nfile " + target + "\n").getBytes(StandardCharsets.UTF_8));
        Path concatInDisguise = TestMedia.write(tmp.resolve("clip2.mkv"), Files.readAllBytes(concat));
        for (Path p : List.of(hls, hlsInDisguise, concat, concatInDisguise)) {
            assertThatThrownBy(() -> SAMPLER.sample(p)).as(p.toString()).isInstanceOf(UserError.class)
                    .hasMessageContaining("refused").hasMessageStartingWith(p.toString());
        }
    }

    @Test
    void oversizedFramesLongVideosAndSlowDecodesAreRefused() {
        Path video = TestMedia.astronautMp4();
        MediaLimits small = MediaLimits.DEFAULT.withMaxPixels(320 * 320 - 1);
        assertThatThrownBy(() -> new VideoSampler(SamplerConfig.DEFAULT.withLimits(small)).sample(video))
                .isInstanceOf(UserError.class).hasMessage(video + ": frame size 320x320 is over the limit of 102399 pixels");
        MediaLimits shortOnly = MediaLimits.DEFAULT.withMaxDurationSeconds(1);
        assertThatThrownBy(() -> new VideoSampler(SamplerConfig.DEFAULT.withLimits(shortOnly)).sample(video))
                .isInstanceOf(UserError.class).hasMessageContaining("over the limit of 1 s");
        MediaLimits hurried = MediaLimits.DEFAULT.withMaxDecodeSeconds(1e-6);
        assertThatThrownBy(() -> new VideoSampler(SamplerConfig.DEFAULT.withLimits(hurried)).sample(video))
                .isInstanceOf(UserError.class).hasMessageContaining("decoding took longer than the limit");
    }
}
