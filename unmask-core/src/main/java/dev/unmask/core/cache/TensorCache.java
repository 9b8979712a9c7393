package dev.unmask.core.cache;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.HalfFloat;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.ByteSizes;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fixed-size float records on disk, one per image content, so that the expensive frozen part of
 * a backbone runs once per image across epochs and runs. A cache directory belongs to one
 * {@link Key} (backbone bytes, preprocessing, what is stored); records are found by the
 * SHA-256 of the image file.
 *
 * <p>Crash safety without a journal: records are appended to {@code records.bin} and forced to
 * disk before their hashes are appended to {@code index.txt} (slot = line number). On open,
 * anything past the last complete index line is cut off, so a kill at any moment loses at most
 * the records not yet indexed. Reads go through memory mappings of the record file.
 */
public final class TensorCache implements AutoCloseable {
    /** Mappings are split so no single one exceeds this; each holds whole records. */
    private static final long SEGMENT_BYTES = 1L << 30;
    private static final int SHA_HEX = 64;

    /**
     * What a cache directory holds.
     *
     * @param kind           e.g. {@code features/cls/4} or {@code prefix/11}
     * @param backboneSha256 digest of the backbone's weight file(s)
     * @param preprocessing  {@link dev.unmask.core.data.Preprocessing#descriptor()}
     * @param recordShape    shape of one record
     * @param half           records stored as IEEE fp16 instead of fp32
     */
    public record Key(String kind, String backboneSha256, String preprocessing, long[] recordShape, boolean half) {
        public Key {
            recordShape = recordShape.clone();
        }

        public long recordValues() {
            long n = 1;
            for (long d : recordShape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        public long recordBytes() {
            return recordValues() * (half ? 2 : 4);
        }

        /** Directory name: a digest of every field, so a different recipe never reads these records. */
        public String id() {
            return Hashing.sha256(kind + "\n" + backboneSha256 + "\n" + preprocessing + "\n" + Arrays.toString(recordShape)
                    + "\n" + (half ? "f16" : "f32")).substring(0, 24);
        }

        /** What {@code key.json} holds. */
        private record Stored(String kind, @JsonProperty("backbone_sha256") String backboneSha256, String preprocessing,
                @JsonProperty("record_shape") long[] recordShape, String dtype) {}

        Object toJson() {
            return new Stored(kind, backboneSha256, preprocessing, recordShape, half ? "F16" : "F32");
        }
    }

    private final Key key;
    private final Path dir;
    private final FileChannel data;
    private final FileChannel index;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, Integer> slots = new HashMap<>();
    private final List<String> pending = new ArrayList<>();
    private final List<MappedByteBuffer> segments = new ArrayList<>();
    private final int recordsPerSegment;
    private long mappedRecords;

    private TensorCache(Key key, Path dir, FileChannel data, FileChannel index, FileChannel lockChannel, FileLock lock) {
        this.key = key;
        this.dir = dir;
        this.data = data;
        this.index = index;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.recordsPerSegment = (int) Math.max(1, Math.min(Integer.MAX_VALUE, SEGMENT_BYTES / key.recordBytes()));
    }

    /** Opens (creating if needed) the cache for {@code key} under {@code root}, holding it exclusively until closed. */
    public static TensorCache open(Path root, Key key) {
        if (key.recordBytes() > Integer.MAX_VALUE) {
            throw new UserError("one cache record would take " + key.recordBytes() + " bytes; use a smaller input or a CLS variant");
        }
        Path dir = root.resolve(key.id());
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new UserError(dir + ": the cache is in use by another unmask run; wait for it or pass another --cache");
            }
            Path keyFile = dir.resolve("key.json");
            if (Files.isRegularFile(keyFile)) {
                JsonNode stored = StrictJson.read(keyFile);
                // Compared as parsed JSON on both sides: numbers parse back as ints, not the longs written.
                if (!stored.equals(StrictJson.parse(StrictJson.mapper().writeValueAsString(key.toJson()), "cache key"))) {
                    throw new UserError(dir + ": cache key file does not match its directory; delete the folder");
                }
            } else {
                AtomicFiles.writeString(keyFile, StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(key.toJson()));
            }
            FileChannel data = FileChannel.open(dir.resolve("records.bin"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileChannel index = FileChannel.open(dir.resolve("index.txt"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            TensorCache cache = new TensorCache(key, dir, data, index, lockChannel, lock);
            cache.recover();
            return cache;
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new UserError(dir + ": cannot open the cache (" + StrictJson.oneLine(e.getMessage()) + ")");
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
            throw e;
        }
    }

    /** Reads the index and cuts both files back to the last complete, fully written record. */
    private void recover() throws IOException {
        long indexSize = index.size();
        if (indexSize > (long) Integer.MAX_VALUE) {
            throw new UserError(dir + ": cache index too large");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) indexSize);
        while (buf.hasRemaining() && index.read(buf, buf.position()) > 0) {
            // positional reads until full
        }
        String text = new String(buf.array(), StandardCharsets.US_ASCII);
        int complete = text.lastIndexOf('\n') + 1;
        String[] lines = complete == 0 ? new String[0] : text.substring(0, complete).split("\n");
        long records = Math.min(lines.length, data.size() / key.recordBytes());
        for (int i = 0; i < records; i++) {
            if (lines[i].length() != SHA_HEX) {
                records = i;
                break;
            }
            slots.putIfAbsent(lines[i], i);
        }
        long keepIndex = records * (SHA_HEX + 1);
        if (index.size() != keepIndex) {
            index.truncate(keepIndex);
        }
        if (data.size() != records * key.recordBytes()) {
            data.truncate(records * key.recordBytes());
        }
        index.position(keepIndex);
        data.position(records * key.recordBytes());
    }

    public Key key() {
        return key;
    }

    public Path directory() {
        return dir;
    }

    public boolean contains(String imageSha256) {
        return slots.containsKey(imageSha256);
    }

    /** Records stored and indexed. */
    public int size() {
        return slots.size();
    }

    /** Appends one record; it becomes visible to {@link #contains} at once, durable at {@link #flush}. */
    public void put(String imageSha256, float[] values) {
        if (imageSha256.length() != SHA_HEX) {
            throw new IllegalArgumentException("not a SHA-256 hex digest: " + imageSha256);
        }
        if (values.length != key.recordValues()) {
            throw new IllegalArgumentException("record of " + values.length + " values, the cache holds " + key.recordValues());
        }
        if (slots.containsKey(imageSha256)) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate((int) key.recordBytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (key.half()) {
                b.putShort(HalfFloat.fromFloat(v));
            } else {
                b.putFloat(v);
            }
        }
        b.flip();
        try {
            long at = data.position();
            while (b.hasRemaining()) {
                data.write(b);
            }
            slots.put(imageSha256, (int) (at / key.recordBytes()));
            pending.add(imageSha256);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot write the cache (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /** Makes every record put so far durable: data first, then its index lines. */
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        try {
            data.force(false);
            StringBuilder sb = new StringBuilder(pending.size() * (SHA_HEX + 1));
            pending.forEach(h -> sb.append(h).append('\n'));
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                index.write(b);
            }
            index.force(false);
            pending.clear();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot write the cache (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /** Copies the record of each image into {@code out} (row after row of {@link Key#recordValues()}). */
    public void read(String[] imageSha256, float[] out) {
        int n = (int) key.recordValues();
        for (int i = 0; i < imageSha256.length; i++) {
            Integer slot = slots.get(imageSha256[i]);
            if (slot == null) {
                throw new IllegalStateException("image " + imageSha256[i] + " is not in the cache");
            }
            readSlot(slot, out, i * n);
        }
    }

    private void readSlot(int slot, float[] out, int offset) {
        ensureMapped(slot + 1L);
        MappedByteBuffer seg = segments.get(slot / recordsPerSegment);
        int pos = (int) ((long) (slot % recordsPerSegment) * key.recordBytes());
        int n = (int) key.recordValues();
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(pos);
        if (key.half()) {
            for (int j = 0; j < n; j++) {
                out[offset + j] = HalfFloat.toFloat(b.getShort());
            }
        } else {
            b.asFloatBuffer().get(out, offset, n);
        }
    }

    /** Maps (or re-maps the last, grown segment of) the record file up to {@code records}. */
    private void ensureMapped(long records) {
        if (records <= mappedRecords) {
            return;
        }
        flush();
        try {
            long total = data.size() / key.recordBytes();
            if (!segments.isEmpty()) {
                segments.remove(segments.size() - 1);
            }
            for (int s = segments.size(); (long) s * recordsPerSegment < total; s++) {
                long first = (long) s * recordsPerSegment;
                long count = Math.min(recordsPerSegment, total - first);
                segments.add(data.map(FileChannel.MapMode.READ_ONLY, first * key.recordBytes(), count * key.recordBytes()));
            }
            mappedRecords = total;
        } catch (IOException e) {
            throw new UserError(dir + ": cannot map the cache (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /**
     * Refuses, before any work, a cache that would not fit: {@code newRecords} more records plus
     * a margin of 1 GiB or 5 % of the disk must stay free.
     */
    public static void checkSpace(Path root, Key key, long newRecords) {
        long need = Math.multiplyExact(newRecords, key.recordBytes());
        try {
            Path existing = root.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return;
            }
            var store = Files.getFileStore(existing);
            long free = store.getUsableSpace();
            long margin = Math.min(1L << 30, store.getTotalSpace() / 20);
            if (need + margin > free) {
                throw new UserError(String.format(java.util.Locale.ROOT,
                        "the feature cache needs %s for %d images (%s each) but %s has %s free; free some space, "
                                + "pass --cache on a larger disk, or use a CLS feature variant",
                        ByteSizes.format(need), newRecords, ByteSizes.format(key.recordBytes()), existing, ByteSizes.format(free)));
            }
        } catch (IOException e) {
            throw new UserError(root + ": cannot check free space (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            segments.clear();
            closeQuietly(data);
            closeQuietly(index);
            try {
                lock.release();
            } catch (IOException ignored) {
                // the channel close below releases it too
            }
            closeQuietly(lockChannel);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing after an error: the first error is the one worth reporting
            }
        }
    }
}
