package dev.unmask.core.io;

import dev.unmask.core.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * SHA-256 digests, the identity of backbones, images and lists in caches and detector files, and
 * of downloaded files; and git blob ids (SHA-1), which the Hub sends as the ETag of small files.
 */
public final class Hashing {
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern GIT_OID = Pattern.compile("[0-9a-f]{40}");

    private Hashing() {}

    public static MessageDigest sha256() {
        return digest("SHA-256");
    }

    /** A digest primed so that feeding it the file's bytes yields the file's git blob id. */
    public static MessageDigest gitBlob(long size) {
        MessageDigest d = digest("SHA-1");
        d.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        return d;
    }

    /** Lower-case hex of the digest (which is reset). */
    public static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }

    public static boolean isSha256(String s) {
        return s != null && SHA256_HEX.matcher(s).matches();
    }

    public static boolean isGitOid(String s) {
        return s != null && GIT_OID.matcher(s).matches();
    }

    /**
     * Feeds every byte of {@code file} to all digests in one pass; {@code progress} gets the
     * running count, so a multi-gigabyte download can show its check.
     */
    public static void update(Path file, LongConsumer progress, MessageDigest... digests) throws IOException {
        // Allocated per call, and training hashes every image: big enough for disk speed, no bigger.
        byte[] buffer = new byte[1 << 16];
        long done = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                for (MessageDigest d : digests) {
                    d.update(buffer, 0, n);
                }
                done += n;
                progress.accept(done);
            }
        }
    }

    /** The file's SHA-256 in hex; a file that cannot be read is a {@link UserError}. */
    public static String sha256(Path file) {
        MessageDigest md = sha256();
        try {
            update(file, done -> { }, md);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        return hex(md);
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /** Of the text's UTF-8 bytes. */
    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has " + algorithm, e);
        }
    }
}
