package dev.unmask.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * SHA-256s of large files remembered by the file's identity (real path, inode, size and
 * modification time to the nanosecond), so that loading a detector does not read its backbone's
 * weights twice (once to hash, once to load) at every start: hashing ViT-S's 88 MB was about a
 * third of a cold {@code detect} (unmask bench startup). A file changed in place gets a new
 * modification time, hence a new entry; an entry that cannot be read or written is only a miss.
 */
public final class DigestCache {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private final Path dir;

    public DigestCache(Path dir) {
        this.dir = dir;
    }

    public String sha256(Path file) {
        String identity = identity(file);
        if (identity == null) {
            return Hashing.sha256(file);
        }
        Path entry = dir.resolve(Hashing.sha256(identity).substring(0, 32));
        try {
            String[] lines = Files.readString(entry, StandardCharsets.UTF_8).split("\n");
            if (lines.length == 2 && lines[0].equals(identity) && HEX64.matcher(lines[1]).matches()) {
                return lines[1];
            }
        } catch (IOException | RuntimeException e) {
            // No entry yet, or an unreadable one: hash the file.
        }
        String sha = Hashing.sha256(file);
        // Only if the file did not change while it was read.
        if (identity.equals(identity(file))) {
            try {
                Files.createDirectories(dir);
                AtomicFiles.writeString(entry, identity + "\n" + sha);
            } catch (IOException | RuntimeException e) {
                // A read-only home: every load hashes, as before.
            }
        }
        return sha;
    }

    /** What names this file's contents as long as nobody writes to it; null when it cannot be told. */
    static String identity(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Object key = a.fileKey();
            if (key == null) {
                return null;
            }
            return real + "|" + key + "|" + a.size() + "|" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
