package dev.unmask.core.data;

import dev.unmask.core.UserError;
import dev.unmask.core.io.Csv;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.InsideRoot;
import dev.unmask.core.io.StrictJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A labelled set of face images: the paper's datalist ({@code relative_path,label} per line
 * under a root; 0 real, ≥ 1 fake with the value kept as the manipulation id), optionally with a
 * header naming {@code path,label[,video]}, {@code #} comment lines, and RFC 4180 quoting (see
 * {@link Csv}) for paths holding commas; or a folder with {@code real/} and {@code fake/}
 * subfolders at any depth. Each item belongs to a video: the {@code video} column, else the
 * folder the frame is in.
 *
 * @param source what the list was read from (file or folder)
 * @param sha256 digest of the list's bytes (folders: of the sorted listing), for provenance
 */
public record Datalist(Path source, Path root, List<Item> items, String sha256) {
    private static final Pattern LABEL = Pattern.compile("\\d{1,9}");
    private static final Set<String> IMAGE_SUFFIXES = Set.of(".png", ".jpg", ".jpeg", ".bmp");
    static final int MAX_ITEMS = 20_000_000;

    /**
     * @param label 0 real, ≥ 1 fake (manipulation id)
     * @param video grouping key for video-level metrics and bootstrap
     */
    public record Item(String relativePath, Path file, int label, String video) {
        public boolean fake() {
            return label > 0;
        }
    }

    public Datalist {
        items = List.copyOf(items);
    }

    /** A list file under {@code root}, or, when {@code listOrFolder} is a folder, the folder layout; no links out of the root. */
    public static Datalist read(Path listOrFolder, Path root) {
        return read(listOrFolder, root, false);
    }

    /**
     * As {@link #read(Path, Path)}; {@code allowLinksOutsideRoot} lets items be symlinks to files
     * outside the root (or the folder), for data sets made of links on purpose.
     */
    public static Datalist read(Path listOrFolder, Path root, boolean allowLinksOutsideRoot) {
        if (Files.isDirectory(listOrFolder)) {
            return folder(listOrFolder, allowLinksOutsideRoot);
        }
        if (root == null) {
            throw new UserError(listOrFolder + ": a list needs --root, the folder its paths are relative to");
        }
        if (!Files.isDirectory(root)) {
            throw new UserError(root + ": --root is not a folder");
        }
        byte[] bytes;
        try {
            if (Files.size(listOrFolder) > 4L << 30) {
                throw new UserError(listOrFolder + ": list larger than 4 GiB");
            }
            bytes = Files.readAllBytes(listOrFolder);
        } catch (NoSuchFileException e) {
            throw new UserError(listOrFolder + ": no such list file or folder");
        } catch (IOException e) {
            throw new UserError(listOrFolder + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        try (Csv.Rows rows = Csv.open(new ByteArrayInputStream(bytes), listOrFolder, true)) {
            return parse(listOrFolder, root, rows, Hashing.sha256(bytes), allowLinksOutsideRoot);
        }
    }

    static Datalist parse(Path source, Path root, Csv.Rows rows, String sha256) {
        return parse(source, root, rows, sha256, false);
    }

    static Datalist parse(Path source, Path root, Csv.Rows rows, String sha256, boolean allowLinksOutsideRoot) {
        Path base = root.toAbsolutePath().normalize();
        InsideRoot inside = Files.isDirectory(base) ? InsideRoot.of(base, allowLinksOutsideRoot) : null;
        List<Item> items = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int pathCol = 0;
        int labelCol = 1;
        int videoCol = -1;
        int columns = -1;
        for (Csv.Row row; (row = rows.next()) != null; ) {
            String where = source + ": line " + row.line();
            List<String> f = row.fields();
            if (columns < 0) {
                columns = f.size();
                if (f.size() >= 2 && !LABEL.matcher(f.get(1).trim()).matches()) {
                    // A header: columns by name, in any order.
                    pathCol = labelCol = -1;
                    for (int i = 0; i < f.size(); i++) {
                        switch (f.get(i).trim().toLowerCase(Locale.ROOT)) {
                            case "path", "relative_path", "file", "image" -> pathCol = set(pathCol, i, "path", where);
                            case "label" -> labelCol = set(labelCol, i, "label", where);
                            case "video" -> videoCol = set(videoCol, i, "video", where);
                            default -> throw new UserError(where + ": unknown column '" + f.get(i).trim()
                                    + "' in the header; expected path,label[,video]");
                        }
                    }
                    if (pathCol < 0 || labelCol < 0) {
                        throw new UserError(where + ": the header needs a 'path' and a 'label' column");
                    }
                    continue;
                }
                if (columns < 2 || columns > 3) {
                    throw new UserError(where + ": expected relative_path,label[,video], got " + columns + (columns == 1 ? " field" : " fields"));
                }
                videoCol = columns == 3 ? 2 : -1;
            }
            if (f.size() != columns) {
                throw new UserError(where + ": " + f.size() + " fields where the first line has " + columns
                        + " (quote paths that contain commas)");
            }
            String rel = f.get(pathCol);
            String label = f.get(labelCol).trim();
            if (!LABEL.matcher(label).matches()) {
                throw new UserError(where + ": label '" + StrictJson.oneLine(label) + "' is not a whole number >= 0 (0 real, >= 1 fake)");
            }
            Path file = resolve(base, rel, where);
            if (inside != null) {
                inside.require(file, where + ": path '" + StrictJson.oneLine(rel) + "'");
            }
            String relNorm = base.relativize(file).toString().replace('\\', '/');
            if (!seen.add(relNorm)) {
                throw new UserError(where + ": " + relNorm + " is listed twice");
            }
            String video = videoCol >= 0 ? f.get(videoCol).trim() : parentOf(relNorm);
            items.add(new Item(relNorm, file, Integer.parseInt(label), video));
            if (items.size() > MAX_ITEMS) {
                throw new UserError(source + ": more than " + MAX_ITEMS + " items");
            }
        }
        if (items.isEmpty()) {
            throw new UserError(source + ": no items (expected lines relative_path,label)");
        }
        return new Datalist(source, base, items, sha256);
    }

    private static int set(int current, int i, String name, String where) {
        if (current >= 0) {
            throw new UserError(where + ": column '" + name + "' appears twice in the header");
        }
        return i;
    }

    /** The file under {@code base}; a path that is absolute or climbs out of the root is refused. */
    static Path resolve(Path base, String rel, String where) {
        if (rel.isEmpty() || rel.indexOf('\0') >= 0) {
            throw new UserError(where + ": empty or invalid path");
        }
        Path p;
        try {
            p = Path.of(rel);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UserError(where + ": invalid path '" + StrictJson.oneLine(rel) + "'");
        }
        if (p.isAbsolute() || rel.startsWith("/") || rel.startsWith("\\")) {
            throw new UserError(where + ": absolute path '" + StrictJson.oneLine(rel) + "'; paths must be relative to --root");
        }
        Path file = base.resolve(p).normalize();
        if (!file.startsWith(base) || file.equals(base)) {
            throw new UserError(where + ": path '" + StrictJson.oneLine(rel) + "' leaves --root " + base);
        }
        return file;
    }

    private static String parentOf(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? rel : rel.substring(0, slash);
    }

    /** {@code real/} (label 0) and {@code fake/} (label 1) under {@code dir}, any depth, sorted; no links out of {@code dir}. */
    public static Datalist folder(Path dir) {
        return folder(dir, false);
    }

    public static Datalist folder(Path dir, boolean allowLinksOutsideRoot) {
        Path base = dir.toAbsolutePath().normalize();
        InsideRoot inside = InsideRoot.of(base, allowLinksOutsideRoot);
        List<Item> items = new ArrayList<>();
        StringBuilder listing = new StringBuilder();
        boolean any = false;
        for (String cls : new String[] {"real", "fake"}) {
            Path sub = base.resolve(cls);
            if (!Files.isDirectory(sub)) {
                continue;
            }
            any = true;
            List<Path> files;
            inside.require(sub, dir + ": " + cls + "/");
            // Links out are refused above, item by item; allowed, linked folders are walked into too.
            java.nio.file.FileVisitOption[] follow = allowLinksOutsideRoot
                    ? new java.nio.file.FileVisitOption[] {java.nio.file.FileVisitOption.FOLLOW_LINKS} : new java.nio.file.FileVisitOption[0];
            try (Stream<Path> s = Files.walk(sub, follow)) {
                files = s.filter(Files::isRegularFile).filter(Datalist::isImage).sorted().toList();
            } catch (IOException e) {
                throw new UserError(sub + ": cannot list (" + StrictJson.oneLine(e.getMessage()) + ")");
            }
            for (Path file : files) {
                String rel = base.relativize(file).toString().replace('\\', '/');
                inside.require(file, dir + ": " + rel);
                int label = cls.equals("real") ? 0 : 1;
                items.add(new Item(rel, file, label, parentOf(rel)));
                listing.append(rel).append(',').append(label).append('\n');
            }
        }
        if (!any) {
            throw new UserError(dir + ": a folder data set needs real/ and fake/ subfolders");
        }
        if (items.isEmpty()) {
            throw new UserError(dir + ": no images (.png, .jpg, .bmp) under real/ or fake/");
        }
        return new Datalist(dir, base, items, Hashing.sha256(listing.toString()));
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot >= 0 && IMAGE_SUFFIXES.contains(n.substring(dot));
    }

    public int size() {
        return items.size();
    }

    public long fakeCount() {
        return items.stream().filter(Item::fake).count();
    }
}
