package dev.unmask.media.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * DFDC: parts ({@code dfdc_train_part_N/}) each with {@code metadata.json} mapping a file name to
 * {@code {"label": "REAL"|"FAKE", "original": "x.mp4"}}. DFDC's training parts define no
 * validation or test split, so videos are grouped by their original (a real video and every fake
 * made from it) and each group goes whole to train, val or test (80/10/10) by a hash of the
 * original's name: stable across runs and machines, and no source video is on both sides.
 */
public final class Dfdc {
    private Dfdc() {}

    public static List<VideoEntry> scan(Path root) {
        MediaFilesUnder.requireDirectory(root, "DFDC root");
        List<Path> metadata;
        try (Stream<Path> s = Files.walk(root, 2)) {
            metadata = s.filter(p -> p.getFileName().toString().equals("metadata.json") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new UserError(root + ": cannot list (" + e.getMessage() + ")");
        }
        if (metadata.isEmpty()) {
            throw new UserError(root + ": no DFDC metadata.json (in the root or in its part folders)");
        }
        List<VideoEntry> out = new ArrayList<>();
        for (Path m : metadata) {
            Path dir = m.getParent();
            JsonNode json = StrictJson.read(m);
            if (!json.isObject()) {
                throw new UserError(m + ": expected an object mapping video names to {label, original}");
            }
            for (Map.Entry<String, JsonNode> e : json.properties()) {
                String name = e.getKey();
                if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
                    throw new UserError(m + ": video name '" + name + "' is not a plain file name");
                }
                JsonNode v = e.getValue();
                String label = v.path("label").asText("");
                int ours = switch (label) {
                    case "REAL" -> 0;
                    case "FAKE" -> 1;
                    default -> throw new UserError(m + ": " + name + ": label must be REAL or FAKE, got '" + label + "'");
                };
                String group = name;
                if (ours == 1) {
                    String original = v.path("original").asText("");
                    if (original.isEmpty()) {
                        throw new UserError(m + ": fake " + name + " names no original");
                    }
                    group = original;
                }
                Path file = dir.resolve(name);
                if (!Files.isRegularFile(file)) {
                    continue;
                }
                out.add(new VideoEntry(file, MediaFilesUnder.key(root, file), ours, ours == 0 ? "real" : "fake", splitOf(group)));
            }
        }
        if (out.isEmpty()) {
            throw new UserError(root + ": the DFDC metadata names no video present on disk");
        }
        out.sort(java.util.Comparator.comparing(VideoEntry::key));
        return out;
    }

    /** 80 % train, 10 % val, 10 % test, by the first bytes of SHA-256 of the original's file name. */
    static Split splitOf(String original) {
        byte[] h = Hashing.sha256().digest(original.getBytes(StandardCharsets.UTF_8));
        int bucket = Math.floorMod(((h[0] & 0xff) << 8) | (h[1] & 0xff), 10);
        return bucket < 8 ? Split.TRAIN : bucket == 8 ? Split.VAL : Split.TEST;
    }
}
