package dev.unmask.media.dataset;

import dev.unmask.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Celeb-DF v2: {@code Celeb-real/}, {@code YouTube-real/} (real) and {@code Celeb-synthesis/}
 * (fake, label 1), and {@code List_of_testing_videos.txt}, the official test split, whose lines
 * read {@code 1 Celeb-real/id0_0000.mp4}: there 1 means REAL and 0 fake, the opposite of our
 * labels. Every listed video is test; the others are train (Celeb-DF defines no validation split).
 */
public final class CelebDf {
    public static final String TEST_LIST = "List_of_testing_videos.txt";
    static final Map<String, Integer> FOLDERS = Map.of("Celeb-real", 0, "YouTube-real", 0, "Celeb-synthesis", 1);

    private CelebDf() {}

    public static List<VideoEntry> scan(Path root) {
        Path listFile = root.resolve(TEST_LIST);
        if (!Files.isRegularFile(listFile)) {
            throw new UserError(listFile + ": missing (Celeb-DF v2's official test list)");
        }
        Map<String, Integer> test = readTestList(root, listFile);
        List<VideoEntry> out = new ArrayList<>();
        int found = 0;
        for (String folder : List.of("Celeb-real", "YouTube-real", "Celeb-synthesis")) {
            Path dir = root.resolve(folder);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            int label = FOLDERS.get(folder);
            for (Path v : MediaFilesUnder.videos(dir)) {
                String rel = folder + "/" + v.getFileName();
                Integer listed = test.remove(rel);
                if (listed != null && listed != label) {
                    throw new UserError(listFile + ": lists " + rel + " as " + (listed == 0 ? "real" : "fake") + " but it is in " + folder
                            + "/ (the list's 1 means real, 0 fake)");
                }
                out.add(new VideoEntry(v, MediaFilesUnder.key(root, v), label, label == 0 ? "real" : "Celeb-synthesis",
                        listed != null ? Split.TEST : Split.TRAIN));
                found++;
            }
        }
        if (found == 0) {
            throw new UserError(root + ": no Celeb-DF v2 videos (expected Celeb-real/, YouTube-real/, Celeb-synthesis/)");
        }
        if (!test.isEmpty()) {
            throw new UserError(listFile + ": names " + test.size() + " video(s) not found under " + root + " (first: "
                    + test.keySet().stream().sorted().findFirst().orElseThrow() + ")");
        }
        return out;
    }

    /** relative path → our label (0 real, 1 fake), inverting the file's convention. */
    static Map<String, Integer> readTestList(Path root, Path listFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(listFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError(listFile + ": cannot read (" + e.getMessage() + ")");
        }
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !(parts[0].equals("0") || parts[0].equals("1"))) {
                throw new UserError(listFile + ": line " + (i + 1) + ": expected '1 Celeb-real/id0_0000.mp4' (1 = real, 0 = fake), got '" + line + "'");
            }
            String rel = parts[1];
            if (rel.contains("\\") || rel.startsWith("/") || ("/" + rel + "/").contains("/../")) {
                throw new UserError(listFile + ": line " + (i + 1) + ": path escapes the dataset: " + rel);
            }
            out.put(rel, parts[0].equals("1") ? 0 : 1);
        }
        return out;
    }
}
