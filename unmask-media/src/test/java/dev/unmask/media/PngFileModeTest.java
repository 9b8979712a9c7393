package dev.unmask.media;

import dev.unmask.media.pixels.Picture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crops, overlays and contact sheets (all {@link Picture#writePng}) get the umask's mode, as a plainly created file does. */
class PngFileModeTest {
    @TempDir
    Path dir;

    @Test
    void pngsGetTheUmaskMode() throws Exception {
        Path plain = dir.resolve("plain");
        try (OutputStream out = Files.newOutputStream(plain, StandardOpenOption.CREATE_NEW)) {
            out.write(1);
        }
        Path png = dir.resolve("faces/v1/f000001_t0.png");
        new Picture(2, 2, new byte[12]).writePng(png);
        assertThat(Files.getPosixFilePermissions(png)).isEqualTo(Files.getPosixFilePermissions(plain));
    }
}
