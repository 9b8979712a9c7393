package dev.unmask.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files over 2 GiB (ViT-g is 4.5 GB) are read with positional reads, not one mapping. */
class LargeSafeTensorsTest {

    @Test
    void tensorsBeyondTwoGibibytesAreRead(@TempDir Path tmp) throws Exception {
        long filler = 3L << 30; // a 3 GiB tensor first, then a small one after it
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + filler + "],\"data_offsets\":[0," + filler + "]},"
                + "\"tail\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[" + filler + "," + (filler + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            // Sparse: the 3 GiB stay holes on disk.
            raf.seek(8 + h.length + filler);
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : new float[] {1.5f, -2f, 0.25f, 3f}) {
                tail.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            }
            raf.write(tail.array());
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            assertThat(st.info("tail").offset()).isGreaterThan(Integer.MAX_VALUE);
            assertThat(st.readFloats("tail")).containsExactly(1.5f, -2f, 0.25f, 3f);
        }
    }

    @Test
    void halfFloatConversionIsExactForEveryValue() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfFloat.toFloat((short) bits);
            if (Float.isNaN(f)) {
                continue;
            }
            assertThat(HalfFloat.fromFloat(f)).as("0x%04x", bits).isEqualTo((short) bits);
        }
        assertThat(HalfFloat.toFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(HalfFloat.toFloat((short) 0xc000)).isEqualTo(-2f);
        assertThat(HalfFloat.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(HalfFloat.toFloat((short) 0x7bff)).isEqualTo(65504f);
    }
}
