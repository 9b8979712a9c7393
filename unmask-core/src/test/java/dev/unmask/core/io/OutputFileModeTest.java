package dev.unmask.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.checkpoint.SafeTensorsWriter;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output files get the mode the user's umask gives a plainly created file: written through a
 * 0600 temporary file, a team's shared data folder would become unreadable to the rest of it.
 */
class OutputFileModeTest {
    @TempDir
    Path dir;

    private Set<PosixFilePermission> plainMode() throws Exception {
        Path plain = dir.resolve("plain");
        try (OutputStream out = Files.newOutputStream(plain, StandardOpenOption.CREATE_NEW)) {
            out.write(1);
        }
        return Files.getPosixFilePermissions(plain);
    }

    @Test
    void atomicWritesGetTheUmaskMode() throws Exception {
        Set<PosixFilePermission> plain = plainMode();
        // The tests run under the usual umask 022; with 077 this test could not tell the modes apart.
        assertThat(plain).contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

        Path bytes = dir.resolve("sub/report.json");
        AtomicFiles.write(bytes, out -> out.write(new byte[] {1, 2, 3}));
        assertThat(Files.getPosixFilePermissions(bytes)).isEqualTo(plain);

        Path text = dir.resolve("train.csv");
        AtomicFiles.writeString(text, "a.png,0\n");
        assertThat(Files.getPosixFilePermissions(text)).isEqualTo(plain);

        // Rewriting keeps the umask's mode too.
        AtomicFiles.writeString(text, "b.png,1\n");
        assertThat(Files.getPosixFilePermissions(text)).isEqualTo(plain);

        Path detector = dir.resolve("model.unmask");
        SafeTensorsWriter.write(detector, Map.of("head.w", new SafeTensorsWriter.Tensor(new long[] {2}, new float[] {1, 2})), Map.of());
        assertThat(Files.getPosixFilePermissions(detector)).isEqualTo(plain);

        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("temporaries left").noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
