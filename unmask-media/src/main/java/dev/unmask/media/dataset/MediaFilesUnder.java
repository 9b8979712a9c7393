package dev.unmask.media.dataset;

import dev.unmask.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Listing media files in dataset folders, in a stable order. */
public final class MediaFilesUnder {
    static final Set<String> VIDEO_EXTENSIONS = Set.of("mp4", "avi", "mov", "mkv", "webm", "m4v", "mpg", "mpeg", "flv", "wmv");
    static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    private MediaFilesUnder() {}

    /** Video files directly in {@code dir}, sorted by name. */
    static List<Path> videos(Path dir) {
        return list(dir, 1, VIDEO_EXTENSIONS);
    }

    /** Video and image files at any depth under {@code dir}, sorted by path. */
    public static List<Path> media(Path dir) {
        return list(dir, Integer.MAX_VALUE, union());
    }

    private static Set<String> union() {
        java.util.HashSet<String> s = new java.util.HashSet<>(VIDEO_EXTENSIONS);
        s.addAll(IMAGE_EXTENSIONS);
        return s;
    }

    private static List<Path> list(Path dir, int depth, Set<String> extensions) {
        try (Stream<Path> s = Files.walk(dir, depth)) {
            return s.filter(Files::isRegularFile).filter(p -> extensions.contains(extension(p)))
                    .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list (" + e.getMessage() + ")");
        }
    }

    static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }

    /** The '/'-separated key of a file under root, without extension. */
    static String key(Path root, Path file) {
        Path rel = root.relativize(file);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rel.getNameCount() - 1; i++) {
            b.append(rel.getName(i)).append('/');
        }
        return b.append(stem(file)).toString();
    }

    static void requireDirectory(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(dir + ": no such directory (" + what + ")");
        }
    }
}
