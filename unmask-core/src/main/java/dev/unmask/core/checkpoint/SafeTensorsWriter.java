package dev.unmask.core.checkpoint;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes float tensors as a safetensors file, atomically (temp file, then rename). */
public final class SafeTensorsWriter {
    /** One tensor to write: float32 values widened or narrowed to {@code dtype} on write. */
    public record Tensor(long[] shape, float[] data, DType dtype) {
        public Tensor(long[] shape, float[] data) {
            this(shape, data, DType.F32);
        }
    }

    private SafeTensorsWriter() {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = StrictJson.mapper().createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        Map<String, Long> starts = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long n = 1;
            for (long d : t.shape()) {
                n *= d;
            }
            if (n != t.data().length) {
                throw new IllegalArgumentException(e.getKey() + ": shape does not match data length");
            }
            long len = n * t.dtype().bytes();
            ObjectNode o = header.putObject(e.getKey());
            o.put("dtype", t.dtype().name());
            ArrayNode s = o.putArray("shape");
            for (long d : t.shape()) {
                s.add(d);
            }
            o.putArray("data_offsets").add(offset).add(offset + len);
            starts.put(e.getKey(), offset);
            offset += len;
        }
        byte[] json = StrictJson.mapper().writeValueAsBytes(header);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = new byte[json.length + pad];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) {
            padded[i] = ' ';
        }
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Tensor t : tensors.values()) {
                writeData(out, t);
            }
        });
    }

    private static void writeData(OutputStream out, Tensor t) throws IOException {
        float[] d = t.data();
        ByteBuffer b = ByteBuffer.allocate(d.length * t.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : d) {
            switch (t.dtype()) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(HalfFloat.fromFloat(v));
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                case F64 -> b.putDouble(v);
                default -> throw new IllegalArgumentException("cannot write " + t.dtype());
            }
        }
        out.write(b.array());
    }
}
