package dev.unmask.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashingTest {
    @TempDir
    Path dir;

    @Test
    void knownDigestsOfTextAndBytes() {
        // FIPS 180-2's example and the digest of nothing.
        assertThat(Hashing.sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Hashing.sha256(new byte[0])).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(Hashing.sha256("é")).isEqualTo(Hashing.sha256("é".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aFileHashesAsItsBytesAcrossBufferBoundaries() throws Exception {
        byte[] bytes = new byte[(1 << 16) * 3 + 17];
        new Random(7).nextBytes(bytes);
        Path f = dir.resolve("blob.bin");
        Files.write(f, bytes);
        assertThat(Hashing.sha256(f)).isEqualTo(Hashing.sha256(bytes)).matches(Hashing::isSha256);

        List<Long> progress = new ArrayList<>();
        MessageDigest sha = Hashing.sha256();
        MessageDigest git = Hashing.gitBlob(bytes.length);
        Hashing.update(f, progress::add, sha, git);
        assertThat(Hashing.hex(sha)).isEqualTo(Hashing.sha256(bytes));
        assertThat(Hashing.hex(git)).matches(Hashing::isGitOid);
        assertThat(progress).isSorted().last().isEqualTo((long) bytes.length);
    }

    @Test
    void gitBlobIdsAreGitsOwn() throws Exception {
        // `printf 'hello\n' | git hash-object --stdin`
        Path f = dir.resolve("hello.txt");
        Files.writeString(f, "hello\n");
        MessageDigest git = Hashing.gitBlob(6);
        Hashing.update(f, done -> { }, git);
        assertThat(Hashing.hex(git)).isEqualTo("ce013625030ba8dba906f756967f9e9ca394464a");
    }

    @Test
    void hexShapesAreChecked() {
        assertThat(Hashing.isSha256("ab".repeat(32))).isTrue();
        assertThat(Hashing.isSha256("AB".repeat(32))).as("upper case is not what we write").isFalse();
        assertThat(Hashing.isSha256("ab".repeat(20))).isFalse();
        assertThat(Hashing.isGitOid("ab".repeat(20))).isTrue();
        assertThat(Hashing.isSha256(null)).isFalse();
    }

    @Test
    void anUnreadableFileIsAUserErrorNamingIt() {
        Path missing = dir.resolve("missing.bin");
        assertThatThrownBy(() -> Hashing.sha256(missing)).isInstanceOf(UserError.class).hasMessageStartingWith(missing + ": cannot read");
    }
}
