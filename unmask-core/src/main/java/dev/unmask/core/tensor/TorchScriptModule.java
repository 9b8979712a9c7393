package dev.unmask.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript module without tensors, written as {@code torch.jit.save} lays it out (a zip of
 * the module's pickled object and its source), loaded into libtorch on first use and kept for the
 * life of the process: the door to aten ops that DJL's JNI does not expose. No Python is involved;
 * the source is TorchScript's serialized dialect (custom ops as {@code ops.namespace.name}). A
 * libtorch that refuses the module, or a caller that turns it off, leaves it unavailable, and the
 * caller keeps its plain path.
 */
final class TorchScriptModule {
    private final String className;
    private final String source;
    private volatile boolean unavailable;
    private volatile PtSymbolBlock module;

    /**
     * @param className the class the source defines (its methods take {@code self: __torch__.NAME})
     * @param enabled   false to leave it unavailable (a switch to compare with the plain path)
     */
    TorchScriptModule(String className, String source, boolean enabled) {
        this.className = className;
        this.source = source;
        this.unavailable = !enabled;
    }

    /** Whether it can run here; loads it on the first call. */
    boolean available() {
        if (unavailable) {
            return false;
        }
        if (module == null) {
            synchronized (this) {
                if (module == null && !unavailable) {
                    module = load(className, source);
                    unavailable = module == null;
                }
            }
        }
        return !unavailable;
    }

    /** Makes it unavailable from now on: libtorch refused to run it. */
    void refuse() {
        unavailable = true;
    }

    /**
     * Runs {@code forward}, only after {@link #available()} said yes. Whether the call records a
     * graph is the calling thread's grad mode, as for any op.
     *
     * @return its outputs, in the first input's manager
     */
    NDList forward(NDArray... inputs) {
        // DJL reads a named array's name as a place in a dict or tuple, and parameters are named:
        // they go in as unnamed views. "Training" only in DJL's sense: no InferenceMode guard, whose
        // tensors autograd could not save, nor use if an output later fed a recorded pass.
        NDList list = new NDList(inputs.length);
        for (NDArray a : inputs) {
            list.add(a.getName() == null ? a : a.reshape(a.getShape()));
        }
        try {
            return IValueUtils.forward(module, list, true);
        } finally {
            for (int i = 0; i < inputs.length; i++) {
                if (list.get(i) != inputs[i]) {
                    list.get(i).close();
                }
            }
        }
    }

    /** The loaded module, which lives as long as the process, or null when libtorch refuses it. */
    private static PtSymbolBlock load(String className, String source) {
        try {
            PtNDManager keeper = (PtNDManager) NDManager.newBaseManager();
            return JniUtils.loadModule(keeper, new ByteArrayInputStream(archive(className, source)), false, false);
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** The zip torch.jit.save writes for a module without tensors: its object, its code, no constants. */
    static byte[] archive(String className, String source) throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            store(z, "module/data.pkl", modulePickle(className));
            store(z, "module/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            // An empty tuple: PROTO 2, EMPTY_TUPLE, STOP.
            store(z, "module/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            store(z, "module/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** __torch__.NAME() with {training: False}, in pickle protocol 2 as TorchScript's unpickler reads it. */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        p.write(')'); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT
        p.write('('); // MARK
        byte[] name = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X'); // BINUNICODE, 4-byte little-endian length
        p.writeBytes(new byte[] {(byte) name.length, 0, 0, 0});
        p.writeBytes(name);
        p.write(0x89); // NEWFALSE
        p.write('u'); // SETITEMS
        p.write('b'); // BUILD
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void store(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(bytes);
        z.closeEntry();
    }
}
