package dev.unmask.core.hub;

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

/** SHA-256 (what the Hub publishes for LFS files) and git blob ids (its ETag for small files). */
final class Hashes {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern GIT_OID = Pattern.compile("[0-9a-f]{40}");

    private Hashes() {}

    static MessageDigest sha256() {
        return digest("SHA-256");
    }

    /** A digest primed so that feeding it the file's bytes yields the file's git blob id. */
    static MessageDigest gitBlob(long size) {
        MessageDigest d = digest("SHA-1");
        d.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        return d;
    }

    static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }

    static boolean isSha256(String s) {
        return s != null && SHA256.matcher(s).matches();
    }

    static boolean isGitOid(String s) {
        return s != null && GIT_OID.matcher(s).matches();
    }

    /** Feeds every byte of {@code file} to all digests; {@code progress} gets the running count. */
    static void update(Path file, LongConsumer progress, MessageDigest... digests) throws IOException {
        byte[] buffer = new byte[1 << 20];
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

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JVM", e);
        }
    }
}
