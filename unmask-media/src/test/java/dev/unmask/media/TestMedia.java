package dev.unmask.media;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.unmask.core.TestPhotos;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real media for tests: photos from Debian's python3-skimage (fetched by bin/setup-test-data)
 * and videos made from them by Debian's ffmpeg, cached under target/test-media. Tests that need
 * ffmpeg are skipped, with the reason, only where it is not installed; CI installs it.
 */
public final class TestMedia {
    public static final int FPS = 25;

    private TestMedia() {}

    public static Path dir() {
        Path d = Path.of("target", "test-media").toAbsolutePath();
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return d;
    }

    public static Path repo() {
        String r = System.getProperty("unmask.repo");
        return r != null ? Path.of(r) : Path.of("..").toAbsolutePath().normalize();
    }

    public static void requireFfmpeg() {
        assumeTrue(onPath("ffmpeg"), "ffmpeg is not installed (apt-get install ffmpeg); CI installs it, so these tests run there");
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A photo from Debian's python3-skimage data: astronaut.png (face), camera.png (face), coffee.png
     * (no face). Where no folder of {@link TestPhotos} holds it, bin/setup-test-data fetches it: the
     * media tests need their photos, so a missing one fails them, never skips them.
     */
    public static synchronized Path photo(String name) {
        Path folder = TestPhotos.find(name).orElseGet(() -> {
            Path out = run(repo().resolve("bin/setup-test-data").toString());
            return Path.of(new String(read(out), StandardCharsets.UTF_8).trim());
        });
        Path p = folder.resolve(name);
        if (!Files.isRegularFile(p)) {
            fail("bin/setup-test-data did not provide " + name);
        }
        return p;
    }

    /** The BlazeFace model must be set up for the tests: CI runs BlazeFace, so a missing model is a failure. */
    public static void requireBlazeFaceModel() {
        run(repo().resolve("bin/setup-models").toString());
    }

    /** Makes (once) a video by running ffmpeg with these arguments, the output file last. */
    public static synchronized Path video(String name, String... ffmpegArgs) {
        requireFfmpeg();
        Path target = dir().resolve(name);
        if (Files.isRegularFile(target)) {
            return target;
        }
        Path tmp = dir().resolve(".tmp-" + name);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"));
        cmd.addAll(Arrays.asList(ffmpegArgs));
        // The muxer is chosen from the real name's extension.
        cmd.add("-f");
        cmd.add(muxer(name));
        cmd.add(tmp.toString());
        run(cmd.toArray(String[]::new));
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return target;
    }

    private static String muxer(String name) {
        String ext = name.substring(name.lastIndexOf('.') + 1);
        return switch (ext) {
            case "mp4", "m4a" -> "mp4";
            case "webm" -> "webm";
            case "avi" -> "avi";
            case "mkv" -> "matroska";
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** 2 s of the astronaut photo, slowly panning (so frames differ), 320×320 at 25 fps: 50 frames, one face. */
    public static Path astronautMp4() {
        return video("astronaut.mp4", pan(photo("astronaut.png"), 2, 320, 320, "-c:v", "libx264", "-preset", "veryfast",
                "-pix_fmt", "yuv420p", "-g", "12"));
    }

    public static Path astronautWebm() {
        return video("astronaut.webm", pan(photo("astronaut.png"), 2, 320, 320, "-c:v", "libvpx-vp9", "-b:v", "0",
                "-crf", "40", "-deadline", "realtime", "-cpu-used", "8", "-pix_fmt", "yuv420p"));
    }

    public static Path astronautAvi() {
        return video("astronaut.avi", pan(photo("astronaut.png"), 2, 320, 320, "-c:v", "mpeg4", "-q:v", "4", "-bf", "2"));
    }

    /** Landscape 320×240 astronaut video stored with a 90° display rotation: plays upright as 240×320. */
    public static Path astronautRotatedMp4() {
        Path sideways = video("astronaut-sideways.mp4", "-loop", "1", "-framerate", "25", "-t", "1", "-i",
                photo("astronaut.png").toString(), "-vf", "scale=320:320,crop=320:240:0:40,transpose=1",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p");
        // transpose=1 turned the picture a quarter clockwise; rotate=90 stores a display matrix that
        // turns it a quarter counter-clockwise again, as phones do (checked with ffmpeg's autorotate).
        return video("astronaut-rotated.mp4", "-i", sideways.toString(), "-c", "copy", "-metadata:s:v:0", "rotate=90");
    }

    /** 1 s of the astronaut, landscape 320×240, panning: the source of the mirrored videos below. */
    public static Path astronautLandscapeMp4() {
        return video("astronaut-landscape.mp4", pan(photo("astronaut.png"), 1, 320, 240, "-c:v", "libx264", "-preset", "veryfast",
                "-pix_fmt", "yuv420p", "-g", "12"));
    }

    /**
     * The landscape astronaut with an H.264 display orientation SEI (written by ffmpeg's
     * h264_metadata filter) asking for a turn of {@code rotate} degrees counter-clockwise and a
     * horizontal flip: the decoder exports it as each frame's display matrix, with a negative
     * determinant. Debian's ffmpeg 5.1 has no {@code -display_hflip}; this is the flip it can write.
     */
    public static Path astronautMirroredMp4(int rotate) {
        return video("astronaut-mirrored-" + rotate + ".mp4", "-i", astronautLandscapeMp4().toString(), "-c", "copy", "-bsf:v",
                "h264_metadata=display_orientation=insert:rotate=" + rotate + ":flip=horizontal");
    }

    /**
     * The landscape astronaut with a display matrix in its MP4 track header (the container level,
     * which players apply to every frame), given in FFmpeg's order: a, b, u, c, d, v, x, y, w with
     * a..d and x, y in 16.16 fixed point and u, v, w in 2.30. Debian's ffmpeg 5.1 writes only
     * rotations there ({@code -metadata:s:v rotate=}; {@code -display_hflip} came later), so the
     * header's matrix is rewritten in a copy of an ffmpeg-made file; ffmpeg reads it back, flips
     * included, which is what the tests compare against.
     */
    public static synchronized Path astronautWithTrackMatrix(String name, int... matrix) {
        Path target = dir().resolve(name);
        if (Files.isRegularFile(target)) {
            return target;
        }
        byte[] mp4 = read(astronautLandscapeMp4());
        int moov = box(mp4, 0, mp4.length, "moov");
        int trak = box(mp4, moov + 8, moov + java.nio.ByteBuffer.wrap(mp4, moov, 4).getInt(), "trak");
        int tkhd = box(mp4, trak + 8, trak + java.nio.ByteBuffer.wrap(mp4, trak, 4).getInt(), "tkhd");
        // After the full-box header: times, track id, duration (wider in version 1), then 16 bytes
        // of reserved, layer, group, volume, reserved; then the matrix.
        int at = tkhd + 12 + (mp4[tkhd + 8] == 1 ? 32 : 20) + 16;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(mp4, at, 36);
        for (int v : matrix) {
            b.putInt(v);
        }
        Path tmp = dir().resolve(".tmp-" + name);
        write(tmp, mp4);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return target;
    }

    /** Offset of the first box of this type among the boxes in [from, to). */
    private static int box(byte[] mp4, int from, int to, String type) {
        int at = from;
        while (at + 8 <= to) {
            int size = java.nio.ByteBuffer.wrap(mp4, at, 4).getInt();
            if (new String(mp4, at + 4, 4, StandardCharsets.ISO_8859_1).equals(type)) {
                return at;
            }
            if (size < 8) {
                break;
            }
            at += size;
        }
        throw new IllegalStateException("no " + type + " box");
    }

    /** 2 s of coffee.png: no face anywhere. */
    public static Path coffeeMp4() {
        return video("coffee.mp4", pan(photo("coffee.png"), 2, 320, 240, "-c:v", "libx264", "-preset", "veryfast",
                "-pix_fmt", "yuv420p"));
    }

    /** 3 s of FFmpeg's test pattern (a frame counter and moving gradients): 75 frames, each unlike its neighbours. */
    public static Path counterMp4() {
        return video("counter.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=3", "-c:v", "libx264",
                "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "10", "-bf", "2");
    }

    private static String[] pan(Path photo, int seconds, int w, int h, String... codec) {
        List<String> a = new ArrayList<>(List.of("-loop", "1", "-framerate", Integer.toString(FPS), "-t", Integer.toString(seconds),
                "-i", photo.toString(), "-vf",
                "scale=" + (w + 40) + ":" + (h + 40) + ",crop=" + w + ":" + h + ":'min(40,t*20)':'min(40,t*20)'"));
        a.addAll(Arrays.asList(codec));
        return a.toArray(String[]::new);
    }

    /** Every frame of a video as ffmpeg itself decodes it (auto-rotated), BGR24, frame after frame. */
    public static byte[] ffmpegFrames(Path video) {
        requireFfmpeg();
        Path raw = dir().resolve(video.getFileName() + ".bgr");
        if (!Files.isRegularFile(raw)) {
            run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", video.toString(), "-f", "rawvideo", "-pix_fmt", "bgr24",
                    "-vsync", "passthrough", raw.toString());
        }
        return read(raw);
    }

    public static Path run(String... cmd) {
        try {
            Path log = Files.createTempFile(dir(), "cmd", ".out");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectOutput(log.toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir().resolve("commands.err").toFile())).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("timed out: " + String.join(" ", cmd));
            }
            if (p.exitValue() != 0) {
                fail("failed (" + p.exitValue() + "): " + String.join(" ", cmd) + "; see " + dir().resolve("commands.err"));
            }
            return log;
        } catch (IOException e) {
            throw new RuntimeException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }

    public static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    public static Path write(Path p, byte[] bytes) {
        try {
            Files.createDirectories(p.toAbsolutePath().getParent());
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
