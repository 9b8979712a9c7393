package dev.unmask.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads safetensors checkpoints, single-file or sharded, without trusting them. Every header is
 * validated before any tensor is read: header length against the file size, each offset range
 * inside the data section, shape × dtype size equal to the byte length, no overlapping ranges.
 * Tensors are read with positional channel reads, so files over 2 GiB need no single mapping.
 */
public final class SafeTensors implements AutoCloseable {
    /** Headers in the wild are a few hundred KiB; anything near this is an attack or corruption. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    static final String INDEX_FILE = "model.safetensors.index.json";
    static final String SINGLE_FILE = "model.safetensors";

    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final Map<Path, FileChannel> channels = new LinkedHashMap<>();

    private SafeTensors(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Opens one {@code .safetensors} file. */
    public static SafeTensors open(Path file) {
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        readHeader(file, tensors, metadata);
        return new SafeTensors(tensors, metadata);
    }

    /** Opens the weights of a model directory: {@code model.safetensors} or a sharded index. */
    public static SafeTensors openDirectory(Path dir) {
        Path index = dir.resolve(INDEX_FILE);
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return open(single);
        }
        if (Files.isRegularFile(index)) {
            return openSharded(index);
        }
        throw new UserError(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE);
    }

    static SafeTensors openSharded(Path index) {
        JsonNode root = StrictJson.read(index);
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new UserError(index + ": no \"weight_map\" object");
        }
        Map<String, String> wanted = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new UserError(index + ": weight_map[\"" + e.getKey() + "\"] is not a file name");
            }
            String shard = e.getValue().asText();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new UserError(index + ": shard name \"" + shard + "\" must be a plain file name beside the index");
            }
            wanted.put(e.getKey(), shard);
        }
        Map<String, Map<String, TensorInfo>> shards = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (String shard : new java.util.LinkedHashSet<>(wanted.values())) {
            Path file = index.resolveSibling(shard);
            if (!Files.isRegularFile(file)) {
                throw new UserError(index + ": shard " + shard + " is missing");
            }
            Map<String, TensorInfo> t = new LinkedHashMap<>();
            readHeader(file, t, metadata);
            shards.put(shard, t);
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            TensorInfo info = shards.get(e.getValue()).get(e.getKey());
            if (info == null) {
                throw new UserError(index + ": tensor " + e.getKey() + " is not in shard " + e.getValue());
            }
            tensors.put(e.getKey(), info);
        }
        return new SafeTensors(tensors, metadata);
    }

    private static void readHeader(Path file, Map<String, TensorInfo> out, Map<String, String> metadata) {
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new UserError(where + ": not a safetensors file (" + size + " bytes, too short for a header)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > size - 8 || headerLen > MAX_HEADER_BYTES) {
                throw new UserError(where + ": corrupt safetensors header length " + Long.toUnsignedString(headerLen)
                        + " (file has " + size + " bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header = StrictJson.parse(hb.array(), where + " header");
            if (!header.isObject()) {
                throw new UserError(where + ": safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            List<TensorInfo> ordered = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    readMetadata(where, e.getValue(), metadata);
                    continue;
                }
                TensorInfo info = parseEntry(where, file, e.getKey(), e.getValue(), dataStart, dataLen);
                if (out.containsKey(info.name())) {
                    throw new UserError(where + ": tensor " + info.name() + " appears in two shards");
                }
                out.put(info.name(), info);
                ordered.add(info);
            }
            ordered.sort(Comparator.comparingLong(TensorInfo::offset));
            long prevEnd = dataStart;
            String prevName = null;
            for (TensorInfo t : ordered) {
                if (t.offset() < prevEnd) {
                    throw new UserError(where + ": tensors " + prevName + " and " + t.name() + " overlap");
                }
                prevEnd = t.offset() + t.length();
                prevName = t.name();
            }
        } catch (IOException e) {
            throw new UserError(where + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    private static void readMetadata(String where, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new UserError(where + ": __metadata__ is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new UserError(where + ": __metadata__ value for \"" + m.getKey() + "\" is not a string");
            }
            metadata.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorInfo parseEntry(String where, Path file, String name, JsonNode e, long dataStart, long dataLen) {
        String at = where + ": tensor " + (name.isEmpty() ? "\"\"" : name);
        if (name.isEmpty()) {
            throw new UserError(at + " has an empty name");
        }
        if (!e.isObject()) {
            throw new UserError(at + " is not described by an object");
        }
        for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw new UserError(at + " has an unknown field \"" + k + "\"");
            }
        }
        JsonNode dt = e.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new UserError(at + " has no dtype");
        }
        DType dtype = DType.parse(dt.asText());
        if (dtype == null) {
            throw new UserError(at + " has unsupported dtype " + StrictJson.oneLine(dt.asText()));
        }
        JsonNode sh = e.get("shape");
        if (sh == null || !sh.isArray() || sh.size() > 8) {
            throw new UserError(at + " has no valid shape");
        }
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0 || d.asLong() > (1L << 40)) {
                throw new UserError(at + " has an invalid dimension " + StrictJson.oneLine(d.toString()));
            }
            shape[i] = d.asLong();
            numel = multiplyOrFail(numel, shape[i], at);
        }
        JsonNode off = e.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new UserError(at + " has no valid data_offsets");
        }
        for (JsonNode o : off) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
                throw new UserError(at + " has an invalid data offset " + StrictJson.oneLine(o.toString()));
            }
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (end < begin) {
            throw new UserError(at + " has data_offsets [" + begin + ", " + end + "] that end before they begin");
        }
        if (end > dataLen) {
            throw new UserError(at + " has data_offsets [" + begin + ", " + end + "] beyond the " + dataLen
                    + " data bytes of the file (truncated download?)");
        }
        long expected = multiplyOrFail(numel, dtype.bytes(), at);
        if (expected != end - begin) {
            throw new UserError(at + " declares " + dtype + java.util.Arrays.toString(shape) + " = " + expected
                    + " bytes but its data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    }

    private static long multiplyOrFail(long a, long b, String at) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException ex) {
            throw new UserError(at + " has a shape whose size overflows");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new UserError("checkpoint has no tensor " + name);
        }
        return t;
    }

    /** The raw little-endian bytes of a tensor. */
    public ByteBuffer readBytes(String name) {
        TensorInfo t = info(name);
        if (t.length() > Integer.MAX_VALUE - 16) {
            throw new UserError(t.file() + ": tensor " + name + " is larger than 2 GiB, which no backbone has");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) t.length()).order(ByteOrder.LITTLE_ENDIAN);
        try {
            FileChannel ch = channels.get(t.file());
            if (ch == null) {
                ch = FileChannel.open(t.file(), StandardOpenOption.READ);
                channels.put(t.file(), ch);
            }
            readFully(ch, buf, t.offset());
        } catch (IOException e) {
            throw new UserError(t.file() + ": cannot read tensor " + name + " (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        return buf.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A floating-point tensor as float32. F16 and BF16 are widened here, in Java, because handing
     * BF16 to the engine and converting there aborts the JVM (DESIGN.md).
     */
    public float[] readFloats(String name) {
        TensorInfo t = info(name);
        if (!t.dtype().isFloat()) {
            throw new UserError(t.file() + ": tensor " + name + " has dtype " + t.dtype() + ", expected a float type");
        }
        ByteBuffer b = readBytes(name);
        int n = Math.toIntExact(t.numel());
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloat.toFloat(b.getShort(i * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                }
            }
            default -> throw new IllegalStateException(t.dtype().name());
        }
        return out;
    }

    @Override
    public void close() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // Read-only channel: nothing can be lost by a failed close.
            }
        }
        channels.clear();
    }
}
