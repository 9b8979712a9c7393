package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unmask.media.TestMedia;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * detect --frames auto end to end on ten ffmpeg-made videos (the test photos panned, filtered,
 * cut in and out, one without a face) against --frames 32 with the same detector: the same
 * verdicts, the report saying how many frames and why it stopped, and the frames and time saved.
 */
class AutoFramesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static List<Path> videos = new ArrayList<>();

    @org.junit.jupiter.api.io.TempDir
    static Path out;

    @BeforeAll
    static void videos() {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        Path astronaut = TestMedia.photo("astronaut.png");
        Path camera = TestMedia.photo("camera.png");
        Path coffee = TestMedia.photo("coffee.png");
        String[] x264 = {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "12"};
        String[][] filters = {
            {"astronaut", "scale=360:360,crop=320:320:'min(40,t*20)':'min(40,t*20)'"},
            {"astronaut", "scale=360:360,crop=320:320:20:20,hue=h=40"},
            {"astronaut", "scale=360:360,crop=320:320:'min(40,t*30)':10,boxblur=2"},
            {"astronaut", "scale=320:320,noise=alls=30:allf=t"},
            {"astronaut", "scale=320:320,eq=contrast=1.6:brightness=0.1"},
            {"astronaut", "scale=400:400,crop=320:320:'min(80,t*30)':'min(80,t*30)',hflip"},
            {"camera", "scale=360:360,crop=320:320:'min(40,t*20)':0"},
            {"camera", "scale=320:320,eq=gamma=1.5"},
            {"coffee", "scale=320:320"},
        };
        int i = 0;
        for (String[] f : filters) {
            Path photo = f[0].equals("astronaut") ? astronaut : f[0].equals("camera") ? camera : coffee;
            List<String> args = new ArrayList<>(List.of("-loop", "1", "-framerate", "25", "-t", "3", "-i", photo.toString(), "-vf", f[1]));
            args.addAll(List.of(x264));
            videos.add(TestMedia.video(String.format(Locale.ROOT, "auto-%02d-%s.mp4", i++, f[0]), args.toArray(String[]::new)));
        }
        // A face for the second half only: the first stage sees it in half its frames.
        videos.add(TestMedia.video("auto-09-cut.mp4", "-loop", "1", "-framerate", "25", "-t", "1.5", "-i", coffee.toString(), "-loop", "1",
                "-framerate", "25", "-t", "1.5", "-i", astronaut.toString(), "-filter_complex",
                "[0]scale=320:320,setsar=1[a];[1]scale=320:320,setsar=1[b];[a][b]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264",
                "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "12"));
    }

    record Run(Map<String, JsonNode> byPath, double seconds) {}

    static Run detect(TinyDetector d, String frames, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("detect", "--detector", d.file().toString(), "--assume-crop", "--frames", frames, "--json"));
        args.addAll(List.of(extra));
        videos.forEach(v -> args.add(v.toString()));
        long t0 = System.nanoTime();
        CliRun r = CliRun.of(args.toArray(String[]::new));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, JsonNode> byPath = new HashMap<>();
        for (String line : r.out().split("\n")) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                JsonSchemaTest.assertValid("fileCheck", n);
                byPath.put(n.get("path").asText(), n);
            }
        }
        assertThat(byPath).hasSize(videos.size());
        return new Run(byPath, seconds);
    }

    @Test
    void autoGivesTheVerdictsOfThirtyTwoFramesWithFewerFrames() throws Exception {
        TinyDetector d = TinyDetector.shared();
        // The first run warms the JIT and the page cache; the second --frames 32 is the one timed.
        detect(d, "32");
        Run auto = detect(d, "auto", "--out", out.resolve("auto").toString());
        JsonNode report = JSON.readTree(out.resolve("auto/report.json").toFile());
        JsonSchemaTest.assertValid("batchReport", report);
        assertThat(report.path("settings").path("frame_sampling").asText()).startsWith("auto: ");
        Run full = detect(d, "32");
        int frames = 0;
        int fullFrames = 0;
        int differ = 0;
        for (Path v : videos) {
            JsonNode a = auto.byPath().get(v.toString());
            JsonNode f = full.byPath().get(v.toString());
            JsonNode s = a.get("sampling");
            assertThat(f.has("sampling")).as("--frames 32 reports no sampling").isFalse();
            assertThat(s).as(v.toString()).isNotNull();
            assertThat(s.get("grid").asInt()).isEqualTo(32);
            assertThat(s.get("sampled").asInt()).isEqualTo(a.get("frames").asInt()).isBetween(8, 32);
            assertThat(s.get("stopped").asText()).isNotBlank();
            System.out.printf(Locale.ROOT, "%-22s 32: %-7s %s  auto: %-7s %s  %2d frames (%s)%n", v.getFileName(), f.get("verdict").asText(),
                    f.get("score"), a.get("verdict").asText(), a.get("score"), s.get("sampled").asInt(), s.get("stopped").asText());
            differ += a.get("verdict").asText().equals(f.get("verdict").asText()) ? 0 : 1;
            frames += s.get("sampled").asInt();
            fullFrames += f.get("frames").asInt();
        }
        System.out.printf(Locale.ROOT, "--frames auto on %d videos: %d verdicts differ from --frames 32; %.1f frames a video on average"
                + " against %.1f; %.1f s against %.1f s (%.2fx)%n", videos.size(), differ, frames / (double) videos.size(),
                fullFrames / (double) videos.size(), auto.seconds(), full.seconds(), full.seconds() / auto.seconds());
        assertThat(differ).isZero();
        assertThat(frames).as("auto sampled fewer frames in all").isLessThan(fullFrames);
    }
}
