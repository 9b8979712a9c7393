package dev.unmask.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal ONNX model writer for tests and benchmarks: the protobuf wire format of the few
 * messages a float32 inference graph needs (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto), encoded by hand from onnx.proto's field numbers. There is no
 * Python torch or onnx here, and the export must stay out of the product.
 */
final class OnnxGraph {
    /** onnx.proto's TensorProto.DataType values. */
    static final int FLOAT = 1;
    static final int INT64 = 7;

    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private final List<byte[]> inputs = new ArrayList<>();
    private final List<byte[]> outputs = new ArrayList<>();
    private int counter;

    /** A fresh value name with a readable prefix. */
    String fresh(String prefix) {
        return prefix + "_" + counter++;
    }

    /** A float32 initializer; returns its name. */
    String floats(String name, float[] values, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for dims " + java.util.Arrays.toString(dims));
        }
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        initializers.add(tensor(name, FLOAT, dims, raw.array()));
        return name;
    }

    /** An int64 initializer (shapes, indices, axes); returns its name. */
    String longs(String name, long... values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        initializers.add(tensor(name, INT64, new long[] {values.length}, raw.array()));
        return name;
    }

    /** An int64 scalar initializer (rank 0), as Gather takes to drop an axis. */
    String longScalar(String name, long value) {
        ByteBuffer raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        initializers.add(tensor(name, INT64, new long[0], raw.array()));
        return name;
    }

    /** A float32 graph input or output; a null entry in {@code dims} is the symbolic batch axis. */
    void input(String name, Long... dims) {
        inputs.add(valueInfo(name, dims));
    }

    void output(String name, Long... dims) {
        outputs.add(valueInfo(name, dims));
    }

    /** A node with one output, named fresh from the op type; returns the output's name. */
    String op(String opType, List<Attr> attrs, String... in) {
        String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
        node(opType, attrs, List.of(in), List.of(out));
        return out;
    }

    String op(String opType, String... in) {
        return op(opType, List.of(), in);
    }

    void node(String opType, List<Attr> attrs, List<String> in, List<String> out) {
        Proto n = new Proto();
        for (String i : in) {
            n.string(1, i);
        }
        for (String o : out) {
            n.string(2, o);
        }
        n.string(3, out.get(0) + "_node");
        n.string(4, opType);
        for (Attr a : attrs) {
            n.message(5, a.encode());
        }
        nodes.add(n.bytes());
    }

    /** The whole model: IR version 8, the default domain at {@code opset}. */
    void write(Path file, int opset) throws IOException {
        Proto graph = new Proto();
        nodes.forEach(n -> graph.message(1, n));
        graph.string(2, "unmask");
        initializers.forEach(t -> graph.message(5, t));
        inputs.forEach(v -> graph.message(11, v));
        outputs.forEach(v -> graph.message(12, v));
        Proto opsetId = new Proto();
        opsetId.string(1, "");
        opsetId.varint(2, opset);
        Proto model = new Proto();
        model.varint(1, 8);
        model.string(2, "unmask-test-export");
        model.message(7, graph.bytes());
        model.message(8, opsetId.bytes());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            model.writeTo(out);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, dataType);
        t.string(8, name);
        t.bytes(9, raw);
        return t.bytes();
    }

    private static byte[] valueInfo(String name, Long... dims) {
        Proto shape = new Proto();
        for (Long d : dims) {
            Proto dim = new Proto();
            if (d == null) {
                dim.string(2, "batch");
            } else {
                dim.varint(1, d);
            }
            shape.message(1, dim.bytes());
        }
        Proto tensorType = new Proto();
        tensorType.varint(1, FLOAT);
        tensorType.message(2, shape.bytes());
        Proto type = new Proto();
        type.message(1, tensorType.bytes());
        Proto v = new Proto();
        v.string(1, name);
        v.message(2, type.bytes());
        return v.bytes();
    }

    /** An AttributeProto: name and one of float, int, ints. */
    record Attr(String name, int type, float f, long i, long[] ints) {
        static Attr f(String name, float value) {
            return new Attr(name, 1, value, 0, null);
        }

        static Attr i(String name, long value) {
            return new Attr(name, 2, 0, value, null);
        }

        static Attr ints(String name, long... values) {
            return new Attr(name, 7, 0, 0, values);
        }

        byte[] encode() {
            Proto a = new Proto();
            a.string(1, name);
            switch (type) {
                case 1 -> a.fixed32(2, Float.floatToIntBits(f));
                case 2 -> a.varint(3, i);
                case 7 -> {
                    for (long v : ints) {
                        a.varint(8, v);
                    }
                }
                default -> throw new IllegalStateException("attribute type " + type);
            }
            a.varint(20, type);
            return a.bytes();
        }
    }

    /** Protobuf wire format: varints, fixed32, and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        void varint(int field, long value) {
            tag(field, 0);
            raw(value);
        }

        void fixed32(int field, int bits) {
            tag(field, 5);
            for (int k = 0; k < 4; k++) {
                buf.write((bits >>> (8 * k)) & 0xff);
            }
        }

        void string(int field, String s) {
            bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        void message(int field, byte[] encoded) {
            bytes(field, encoded);
        }

        void bytes(int field, byte[] b) {
            tag(field, 2);
            raw(b.length);
            buf.write(b, 0, b.length);
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long v) {
            while ((v & ~0x7fL) != 0) {
                buf.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            buf.write((int) v);
        }

        byte[] bytes() {
            return buf.toByteArray();
        }

        void writeTo(OutputStream out) throws IOException {
            buf.writeTo(out);
        }
    }
}
