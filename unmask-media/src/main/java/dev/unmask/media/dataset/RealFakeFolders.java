package dev.unmask.media.dataset;

import dev.unmask.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A generic layout: {@code real/} and {@code fake/} (videos or images at any depth; fakes get
 * label 1), either directly under the root (one list, {@code all}) or under {@code train/},
 * {@code val/} and {@code test/}.
 */
public final class RealFakeFolders {
    private RealFakeFolders() {}

    public static List<VideoEntry> scan(Path root) {
        MediaFilesUnder.requireDirectory(root, "dataset root");
        List<VideoEntry> out = new ArrayList<>();
        boolean splits = false;
        for (Split s : List.of(Split.TRAIN, Split.VAL, Split.TEST)) {
            Path dir = root.resolve(s.id());
            if (Files.isDirectory(dir.resolve("real")) || Files.isDirectory(dir.resolve("fake"))) {
                splits = true;
                add(root, dir, s, out);
            }
        }
        if (!splits) {
            add(root, root, Split.ALL, out);
        }
        if (out.isEmpty()) {
            throw new UserError(root + ": no videos or images under real/ and fake/ (or train|val|test/real|fake/)");
        }
        return out;
    }

    private static void add(Path root, Path base, Split split, List<VideoEntry> out) {
        for (String cls : List.of("real", "fake")) {
            Path dir = base.resolve(cls);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            int label = cls.equals("real") ? 0 : 1;
            for (Path f : MediaFilesUnder.media(dir)) {
                out.add(new VideoEntry(f, MediaFilesUnder.key(root, f), label, cls, split));
            }
        }
    }
}
