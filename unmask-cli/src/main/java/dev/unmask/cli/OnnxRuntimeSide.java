package dev.unmask.cli;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.unmask.core.UserError;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX Runtime (CPU) running an ONNX file of the same network beside ours, for {@code bench
 * forward --onnx}: the alternative a user would pick, timed in the same process and run. Only this
 * class touches ONNX Runtime, so the product runs without its jar ({@link BenchForwardCommand}
 * checks that it is there before it loads this class).
 */
final class OnnxRuntimeSide implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private OnnxTensor input;

    /**
     * A session on {@code file} with {@code threads} intra-op threads and all graph optimisations
     * (ORT's default level).
     *
     * @param spin whether idle worker threads spin (ORT's default) or sleep, as our OpenMP threads
     *             do under {@code OMP_WAIT_POLICY=PASSIVE}: the same policy on both sides
     */
    OnnxRuntimeSide(Path file, int threads, boolean spin) {
        try {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.addConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(file.toString(), o);
            inputName = session.getInputNames().iterator().next();
        } catch (OrtException e) {
            throw new UserError("ONNX Runtime cannot load " + file + ": " + oneLine(e));
        }
    }

    /** The input side the file was exported at (its graph has a fixed image size), or -1 when symbolic. */
    int side() {
        try {
            NodeInfo info = session.getInputInfo().get(inputName);
            long[] shape = ((TensorInfo) info.getInfo()).getShape();
            return shape.length == 4 ? (int) shape[3] : -1;
        } catch (OrtException e) {
            throw new UserError("ONNX Runtime: " + oneLine(e));
        }
    }

    /** Sets the batch the next {@link #run} calls use (one tensor made once, as ours is). */
    void setInput(float[] data, long[] shape) {
        close(input);
        try {
            input = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new UserError("ONNX Runtime: " + oneLine(e));
        }
    }

    /** One forward pass; the first output copied out as a Java array, as ours copies its features. */
    float[] run() {
        try (OrtSession.Result r = session.run(Map.of(inputName, input))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] a = new float[out.remaining()];
            out.get(a);
            return a;
        } catch (OrtException e) {
            throw new UserError("ONNX Runtime: " + oneLine(e));
        }
    }

    private static String oneLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        return m.replaceAll("\\s+", " ").trim();
    }

    private static void close(OnnxTensor t) {
        if (t != null) {
            t.close();
        }
    }

    @Override
    public void close() {
        close(input);
        try {
            session.close();
        } catch (OrtException e) {
            // Closing a session only frees memory; nothing to report at the end of a benchmark.
        }
    }
}
