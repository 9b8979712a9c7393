package dev.unmask.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.core.io.Hashing;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorCacheTest {
    @TempDir
    Path dir;

    static TensorCache.Key key(boolean half) {
        return new TensorCache.Key("features/cls/4", "ab".repeat(32), "size=56", new long[] {4, 1, 3}, half);
    }

    static float[] record(int seed) {
        float[] v = new float[12];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(seed * 31 + i) * 3;
        }
        return v;
    }

    @Test
    void theKeyFileTextIsPinned() throws Exception {
        try (TensorCache c = TensorCache.open(dir, key(true))) {
            assertThat(c.size()).isZero();
        }
        // The JSON pretty printer's own line ends: the file is compared as it lies on disk.
        String nl = System.lineSeparator();
        assertThat(Files.readString(dir.resolve(key(true).id()).resolve("key.json"))).isEqualTo(String.join(nl,
                "{",
                "  \"kind\" : \"features/cls/4\",",
                "  \"backbone_sha256\" : \"" + "ab".repeat(32) + "\",",
                "  \"preprocessing\" : \"size=56\",",
                "  \"record_shape\" : [ 4, 1, 3 ],",
                "  \"dtype\" : \"F16\"",
                "}"));
        try (TensorCache c = TensorCache.open(dir, key(true))) {
            assertThat(c.size()).as("the stored key matches on reopening").isZero();
        }
    }

    @Test
    void recordsSurviveReopeningExactlyInF32AndToHalfPrecisionInF16() {
        for (boolean half : new boolean[] {false, true}) {
            try (TensorCache c = TensorCache.open(dir, key(half))) {
                for (int i = 0; i < 50; i++) {
                    c.put(Hashing.sha256("img" + i), record(i));
                }
            }
            try (TensorCache c = TensorCache.open(dir, key(half))) {
                assertThat(c.size()).isEqualTo(50);
                float[] out = new float[24];
                c.read(new String[] {Hashing.sha256("img7"), Hashing.sha256("img42")}, out);
                float[] want7 = record(7);
                for (int i = 0; i < 12; i++) {
                    if (half) {
                        assertThat(out[i]).isCloseTo(want7[i], org.assertj.core.data.Offset.offset(Math.abs(want7[i]) * 1e-3f + 1e-4f));
                    } else {
                        assertThat(out[i]).isEqualTo(want7[i]);
                        assertThat(out[12 + i]).isEqualTo(record(42)[i]);
                    }
                }
            }
        }
        // a different key is a different directory: nothing from these records leaks into it
        try (TensorCache c = TensorCache.open(dir, new TensorCache.Key("features/cls/4", "cd".repeat(32), "size=56", new long[] {4, 1, 3}, false))) {
            assertThat(c.size()).isZero();
        }
    }

    @Test
    void aKillDuringAWriteLosesOnlyUnindexedRecords() throws Exception {
        Path d;
        try (TensorCache c = TensorCache.open(dir, key(false))) {
            for (int i = 0; i < 5; i++) {
                c.put(Hashing.sha256("img" + i), record(i));
            }
            d = c.directory();
        }
        // What a kill -9 can leave: a record's bytes without its index line, and half an index line.
        try (FileChannel ch = FileChannel.open(d.resolve("records.bin"), StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(48 + 7));
        }
        Files.writeString(d.resolve("index.txt"), Hashing.sha256("img5").substring(0, 20), StandardOpenOption.APPEND);
        try (TensorCache c = TensorCache.open(dir, key(false))) {
            assertThat(c.size()).isEqualTo(5);
            assertThat(c.contains(Hashing.sha256("img5"))).isFalse();
            c.put(Hashing.sha256("img5"), record(5));
            c.flush();
            float[] out = new float[12];
            c.read(new String[] {Hashing.sha256("img5")}, out);
            assertThat(out).containsExactly(record(5));
        }
        assertThat(Files.size(d.resolve("records.bin"))).isEqualTo(6 * 48);
    }

    @Test
    void oneRunAtATimeAndNoRunOnAFullDisk() {
        try (TensorCache c = TensorCache.open(dir, key(false))) {
            assertThatThrownBy(() -> TensorCache.open(dir, key(false))).isInstanceOf(UserError.class).hasMessageContaining("in use");
        }
        assertThatThrownBy(() -> TensorCache.checkSpace(dir, key(false), Long.MAX_VALUE / 1024))
                .isInstanceOf(UserError.class).hasMessageContaining("needs").hasMessageContaining("free");
        TensorCache.checkSpace(dir, key(false), 1000);
    }
}
