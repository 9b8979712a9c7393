package dev.unmask.core.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.CheckpointLayout.Target;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a checkpoint into canonical names and checks it against the architecture before any
 * tensor reaches the engine: every expected tensor present with its shape, nothing unexplained left
 * over. Tensors are read one at a time and widened to float32 in Java.
 */
public final class ViTLoader {
    private ViTLoader() {}

    public static VisionTransformer load(ViTConfig config, CheckpointLayout layout, SafeTensors weights, NDManager parent) {
        Map<String, String[]> plan = plan(config, layout, weights);
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> params = new LinkedHashMap<>();
            Map<String, long[]> shapes = config.parameterShapes();
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                String[] parts = plan.get(e.getKey());
                float[] data;
                if (parts.length == 1) {
                    data = weights.readFloats(parts[0]);
                } else {
                    List<float[]> chunks = new ArrayList<>();
                    int total = 0;
                    for (String p : parts) {
                        // A key bias the checkpoint leaves out (transformers' DINOv3) is zero.
                        float[] c = p != null ? weights.readFloats(p) : new float[(int) (e.getValue()[0] / parts.length)];
                        chunks.add(c);
                        total += c.length;
                    }
                    data = new float[total];
                    int at = 0;
                    for (float[] c : chunks) {
                        System.arraycopy(c, 0, data, at, c.length);
                        at += c.length;
                    }
                }
                if (!config.keyBias() && isQkvBias(e.getKey())) {
                    // DINOv3 multiplies the qkv bias by a mask that zeroes its key third; the
                    // research files still hold (nonzero) values there.
                    Arrays.fill(data, data.length / 3, 2 * data.length / 3, 0f);
                }
                for (float v : data) {
                    if (!Float.isFinite(v)) {
                        throw new UserError("checkpoint tensor " + String.join("+", Arrays.stream(parts).filter(p -> p != null).toList())
                                + " contains NaN or infinite values");
                    }
                }
                NDArray a = manager.create(data, new Shape(e.getValue()));
                a.setName(e.getKey());
                params.put(e.getKey(), a);
            }
            return new VisionTransformer(config, manager, params);
        } catch (RuntimeException ex) {
            manager.close();
            throw ex;
        }
    }

    /** Canonical name → source tensors (several when concatenated), after checking names and shapes. */
    static Map<String, String[]> plan(ViTConfig config, CheckpointLayout layout, SafeTensors weights) {
        Map<String, String[]> plan = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        for (String source : weights.tensors().keySet()) {
            Target t = layout.toCanonical(source);
            if (t == CheckpointLayout.IGNORED) {
                continue;
            }
            if (t == null || !config.parameterShapes().containsKey(t.canonical())) {
                unexpected.add(source);
                continue;
            }
            String[] parts = plan.computeIfAbsent(t.canonical(), k -> new String[t.parts()]);
            if (parts.length != t.parts() || parts[t.part()] != null) {
                throw new UserError("checkpoint has two tensors for " + t.canonical() + ": " + source);
            }
            parts[t.part()] = source;
        }
        String arch = describe(config);
        for (Map.Entry<String, long[]> e : config.parameterShapes().entrySet()) {
            String[] parts = plan.get(e.getKey());
            if (parts != null && parts.length == 3 && parts[1] == null && !config.keyBias() && isQkvBias(e.getKey())
                    && parts[0] != null && parts[2] != null) {
                // Only the key part may be absent, and only where the key bias is unused.
                checkShapes(arch, e.getValue(), new String[] {parts[0], parts[2]}, 3, weights);
                continue;
            }
            if (parts == null || Arrays.stream(parts).anyMatch(p -> p == null)) {
                throw new UserError("checkpoint does not fit " + arch + ": missing tensor " + layout.toSource(e.getKey())
                        + " " + Arrays.toString(e.getValue()) + " (" + layout.name() + " layout)");
            }
            long[] expected = e.getValue();
            if (checkShapes(arch, expected, parts, parts.length, weights) != expected[0]) {
                throw new UserError("checkpoint does not fit " + arch + ": " + e.getKey() + " has the wrong size");
            }
        }
        if (!unexpected.isEmpty()) {
            throw new UserError("checkpoint does not fit " + arch + ": unexpected tensor " + unexpected.get(0)
                    + (unexpected.size() > 1 ? " (and " + (unexpected.size() - 1) + " more)" : "")
                    + " (" + layout.name() + " layout)");
        }
        return plan;
    }

    private static boolean isQkvBias(String canonical) {
        return canonical.startsWith("blocks.") && canonical.endsWith(".attn.qkv.bias");
    }

    /**
     * Checks each part's dtype and shape (one of {@code slots} equal slices of {@code expected}
     * along axis 0); returns the summed first dimension. Where the canonical tensor has leading
     * axes of size 1 (tokens and position embeddings), a checkpoint may leave them out: CLIP stores
     * its class embedding as [D] and its positions as [N, D]. Elsewhere the shape must match
     * exactly: a bias stored as [1, D] is a broken checkpoint, not another layout.
     */
    private static long checkShapes(String arch, long[] expected, String[] parts, int slots, SafeTensors weights) {
        long first = 0;
        for (String p : parts) {
            TensorInfo info = weights.info(p);
            if (!info.dtype().isFloat()) {
                throw new UserError("checkpoint tensor " + p + " has dtype " + info.dtype() + ", expected a float type");
            }
            long[] s = info.shape();
            long[] want = expected.clone();
            want[0] = expected[0] / slots;
            boolean same = want[0] == 1 ? Arrays.equals(withoutLeadingOnes(s), withoutLeadingOnes(want)) : Arrays.equals(s, want);
            if (!same) {
                throw new UserError("checkpoint does not fit " + arch + ": tensor " + p + " has shape "
                        + Arrays.toString(s) + ", expected " + Arrays.toString(want));
            }
            first += want[0];
        }
        return first;
    }

    private static long[] withoutLeadingOnes(long[] shape) {
        int i = 0;
        while (i < shape.length - 1 && shape[i] == 1) {
            i++;
        }
        return Arrays.copyOfRange(shape, i, shape.length);
    }

    static String describe(ViTConfig c) {
        return c.family() + " ViT (dim " + c.embedDim() + ", depth " + c.depth() + ", patch " + c.patchSize()
                + (c.numRegisters() > 0 ? ", " + c.numRegisters() + " registers" : "") + ")";
    }
}
