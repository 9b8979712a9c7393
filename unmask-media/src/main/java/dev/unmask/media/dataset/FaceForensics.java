package dev.unmask.media.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * FaceForensics++: {@code original_sequences/youtube/<c>/videos/NNN.mp4} and
 * {@code manipulated_sequences/<method>/<c>/videos/A_B.mp4}, split by the official
 * {@code splits/{train,val,test}.json} lists of id pairs ({@code [["071","054"], …]}). A fake A_B
 * goes to the split of its pair, a real video to the split of the pair holding its id, so no face
 * identity crosses splits. One compression level per run. DeepFakeDetection (and its actors'
 * originals) is a different protocol with no official split and is kept out.
 */
public final class FaceForensics {
    /** Manipulation ids kept as labels, for per-method reports; 0 is real. */
    public static final Map<String, Integer> METHOD_IDS = Map.of("Deepfakes", 1, "Face2Face", 2, "FaceSwap", 3, "NeuralTextures", 4,
            "FaceShifter", 5);
    public static final Set<String> COMPRESSIONS = Set.of("raw", "c23", "c40");
    static final String EXCLUDED = "DeepFakeDetection";

    private FaceForensics() {}

    public static List<VideoEntry> scan(Path root, String compression, Path splitsDir) {
        if (!COMPRESSIONS.contains(compression)) {
            throw new UserError("--compression must be raw, c23 or c40, got '" + compression + "'");
        }
        Path originals = root.resolve("original_sequences").resolve("youtube");
        MediaFilesUnder.requireDirectory(originals, "FaceForensics++ original_sequences/youtube");
        Path originalVideos = originals.resolve(compression).resolve("videos");
        if (!Files.isDirectory(originalVideos)) {
            throw new UserError(originalVideos + ": no such directory; compression levels present: " + levels(originals)
                    + " (choose one with --compression)");
        }
        Map<String, Split> splitOfId = splitsById(splitsDir);
        List<VideoEntry> out = new ArrayList<>();
        for (Path v : MediaFilesUnder.videos(originalVideos)) {
            String id = MediaFilesUnder.stem(v);
            Split s = splitOfId.get(id);
            if (s != null) {
                out.add(new VideoEntry(v, MediaFilesUnder.key(root, v), 0, "real", s));
            }
        }
        Path manipulated = root.resolve("manipulated_sequences");
        if (Files.isDirectory(manipulated)) {
            for (Path methodDir : subdirectories(manipulated)) {
                String method = methodDir.getFileName().toString();
                if (method.equals(EXCLUDED)) {
                    continue;
                }
                Integer label = METHOD_IDS.get(method);
                if (label == null) {
                    throw new UserError(methodDir + ": unknown FaceForensics++ manipulation '" + method + "' (known: "
                            + new TreeSet<>(METHOD_IDS.keySet()) + ")");
                }
                Path videos = methodDir.resolve(compression).resolve("videos");
                if (!Files.isDirectory(videos)) {
                    continue;
                }
                for (Path v : MediaFilesUnder.videos(videos)) {
                    String[] ids = MediaFilesUnder.stem(v).split("_");
                    if (ids.length != 2) {
                        throw new UserError(v + ": a FaceForensics++ fake is named TARGET_SOURCE.mp4");
                    }
                    Split a = splitOfId.get(ids[0]);
                    Split b = splitOfId.get(ids[1]);
                    if (a == null && b == null) {
                        continue;
                    }
                    if (a != b) {
                        throw new UserError(v + ": ids " + ids[0] + " and " + ids[1] + " are in different splits (" + a + ", " + b
                                + "); the splits files are not FaceForensics++'s pairs");
                    }
                    out.add(new VideoEntry(v, MediaFilesUnder.key(root, v), label, method, a));
                }
            }
        }
        if (out.isEmpty()) {
            throw new UserError(root + ": no FaceForensics++ " + compression + " videos named in " + splitsDir);
        }
        return out;
    }

    /** id → split, from the three official JSON lists of pairs; an id in two splits is refused. */
    static Map<String, Split> splitsById(Path splitsDir) {
        MediaFilesUnder.requireDirectory(splitsDir, "FaceForensics++ splits: train.json, val.json, test.json (from the FaceForensics repository)");
        Map<String, Split> byId = new HashMap<>();
        for (Split s : List.of(Split.TRAIN, Split.VAL, Split.TEST)) {
            Path f = splitsDir.resolve(s.id() + ".json");
            if (!Files.isRegularFile(f)) {
                throw new UserError(f + ": missing FaceForensics++ split file");
            }
            JsonNode pairs = StrictJson.read(f);
            if (!pairs.isArray()) {
                throw new UserError(f + ": expected a JSON list of id pairs such as [[\"071\",\"054\"], ...]");
            }
            for (JsonNode pair : pairs) {
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                    throw new UserError(f + ": expected pairs of id strings, found " + pair);
                }
                for (JsonNode id : pair) {
                    Split before = byId.put(id.asText(), s);
                    if (before != null && before != s) {
                        throw new UserError(f + ": id " + id.asText() + " is also in " + before.id() + ".json");
                    }
                }
            }
        }
        return byId;
    }

    private static String levels(Path originals) {
        return subdirectories(originals).stream().map(p -> p.getFileName().toString()).sorted().toList().toString();
    }

    private static List<Path> subdirectories(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list (" + e.getMessage() + ")");
        }
    }
}
