package dev.unmask.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.unmask.cli.OnnxGraph.Attr;
import dev.unmask.core.convnet.ConvNets;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.model.RandomWeights;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import dev.unmask.core.vit.layers.Mlp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the graphs {@code unmask bench forward} runs as ONNX files with the same weights (the
 * bench's seeded random ones), so ONNX Runtime can run the very same network beside ours. A test
 * helper on purpose: the product never exports ONNX.
 *
 * <p>Run it from a built tree (after {@code mvn -DskipTests package} and {@code test-compile}):
 * {@code OPT_OUT_TRACKING=true java -Dai.djl.offline=true -cp "unmask-cli/target/test-classes:unmask-cli/target/classes:unmask-cli/target/lib/*"
 * dev.unmask.cli.OnnxExport DIR [SIDE]} writes {@code DIR/dinov2_vits14.onnx} and
 * {@code DIR/efficientnet_b0.onnx} for {@code bench forward --onnx DIR}.
 */
final class OnnxExport {
    /** Opset 17: LayerNormalization is in; GELU is written as its erf formula, which ORT fuses. */
    static final int OPSET = 17;

    private OnnxExport() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: OnnxExport DIR [SIDE]");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        int side = args.length == 2 ? Integer.parseInt(args[1]) : 224;
        try (NDManager m = NDManager.newBaseManager()) {
            for (String name : List.of("dinov2_vits14", "efficientnet_b0")) {
                Path file = dir.resolve(name + ".onnx");
                write(name, side, file, m);
                System.out.println("wrote " + file);
            }
        }
    }

    /** The bench's backbone {@code name} (random weights as the bench draws them) at {@code side} into {@code file}. */
    static void write(String name, int side, Path file, NDManager manager) throws IOException {
        BenchBackbones.Choice c = BenchBackbones.parse(name, side);
        if (c.vit()) {
            try (VisionTransformer vit = RandomWeights.vitModel(c.vitConfig(), 1, manager)) {
                vit(vit, side, side).write(file, OPSET);
            }
        } else {
            Path tmp = Files.createTempDirectory("unmask-onnx-");
            try {
                ConvNets.writeRandom(tmp, BenchBackbones.CONVNETS.get(name), BenchBackbones.convNetConfig(name));
                try (SafeTensors file0 = SafeTensors.open(tmp.resolve("model.safetensors"))) {
                    efficientNet(new Tensors(file0), BenchBackbones.CONVNETS.get(name), side).write(file, OPSET);
                }
            } finally {
                try (var files = Files.list(tmp)) {
                    for (Path p : (Iterable<Path>) files::iterator) {
                        Files.delete(p);
                    }
                }
                Files.delete(tmp);
            }
        }
    }

    // ---------------------------------------------------------------- ViT

    /**
     * The ViT forward {@code bench forward} times ({@code features(...).tokens()}: final normed
     * tokens [B, N, D]) for an input of {@code h x w}: learned positions (resampled as ours are),
     * CLS and registers, pre-norm blocks with layer scale, GELU or QuickGELU. Input "images"
     * [batch, C, h, w], output "tokens".
     */
    static OnnxGraph vit(VisionTransformer vit, int h, int w) {
        ViTConfig c = vit.config();
        if (c.rope() || c.swiglu() || !c.keyBias()) {
            throw new IllegalArgumentException("the ONNX test export covers learned-position, non-gated ViTs only");
        }
        Map<String, NDArray> p = vit.parameters();
        OnnxGraph g = new OnnxGraph();
        long d = c.embedDim();
        long heads = c.numHeads();
        long hd = d / heads;
        int ps = c.patchSize();
        int gh = h / ps;
        int gw = w / ps;
        g.input("images", null, (long) c.inChans(), (long) h, (long) w);

        List<String> convIn = c.patchBias()
                ? List.of("images", g.floats("patch_w", f(p, "patch_embed.proj.weight"), d, c.inChans(), ps, ps),
                        g.floats("patch_b", f(p, "patch_embed.proj.bias"), d))
                : List.of("images", g.floats("patch_w", f(p, "patch_embed.proj.weight"), d, c.inChans(), ps, ps));
        String conv = g.fresh("conv");
        g.node("Conv", List.of(Attr.ints("kernel_shape", ps, ps), Attr.ints("strides", ps, ps)), convIn, List.of(conv));
        String flat = g.op("Reshape", conv, g.longs("shape_patches", 0, d, -1));
        String patches = g.op("Transpose", List.of(Attr.ints("perm", 0, 2, 1)), flat);
        float[][] grid = vit.positionGrid(gh, gw);
        float[] pos = new float[gh * gw * (int) d];
        for (int i = 0; i < grid.length; i++) {
            System.arraycopy(grid[i], 0, pos, i * (int) d, (int) d);
        }
        patches = g.op("Add", patches, g.floats("pos_grid", pos, 1, (long) gh * gw, d));

        // Prefix tokens [CLS, registers] are constants (the learned tokens plus their positions),
        // broadcast to the batch: Expand to [B, prefix, D].
        int prefix = 1 + c.numRegisters();
        float[] all = p.get("pos_embed").toFloatArray();
        float[] pre = new float[prefix * (int) d];
        float[] cls = f(p, "cls_token");
        for (int j = 0; j < d; j++) {
            pre[j] = cls[j] + (c.posPrefix() > 0 ? all[j] : 0);
        }
        if (c.numRegisters() > 0) {
            float[] reg = f(p, "register_tokens");
            for (int r = 0; r < c.numRegisters(); r++) {
                for (int j = 0; j < d; j++) {
                    pre[(r + 1) * (int) d + j] = reg[r * (int) d + j] + (c.posPrefix() > 1 ? all[(r + 1) * (int) d + j] : 0);
                }
            }
        }
        String batch = g.op("Slice", g.op("Shape", "images"), g.longs("zero", 0), g.longs("one", 1));
        String prefixShape = g.op("Concat", List.of(Attr.i("axis", 0)), batch, g.longs("prefix_dims", prefix, d));
        String prefixTokens = g.op("Expand", g.floats("prefix", pre, 1, prefix, d), prefixShape);
        String x = g.op("Concat", List.of(Attr.i("axis", 1)), prefixTokens, patches);
        if (c.preNorm()) {
            x = layerNorm(g, x, p, "norm_pre", c.normEps());
        }
        String qkvShape = g.longs("shape_qkv", 0, 0, 3, heads, hd);
        String mergeShape = g.longs("shape_merge", 0, 0, d);
        String scale = g.floats("attn_scale", new float[] {(float) (1.0 / Math.sqrt(hd))});
        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i + ".";
            // Attention: qkv -> [3, B, H, N, hd] -> q·kᵀ·scale -> softmax -> ·v -> merge -> proj.
            String n1 = layerNorm(g, x, p, b + "norm1", c.normEps());
            String qkv = linear(g, n1, p, b + "attn.qkv");
            String packed = g.op("Transpose", List.of(Attr.ints("perm", 2, 0, 3, 1, 4)), g.op("Reshape", qkv, qkvShape));
            String q = g.op("Gather", List.of(Attr.i("axis", 0)), packed, g.longScalar(b + "i0", 0));
            String k = g.op("Gather", List.of(Attr.i("axis", 0)), packed, g.longScalar(b + "i1", 1));
            String v = g.op("Gather", List.of(Attr.i("axis", 0)), packed, g.longScalar(b + "i2", 2));
            q = g.op("Mul", q, scale);
            String kt = g.op("Transpose", List.of(Attr.ints("perm", 0, 1, 3, 2)), k);
            String probs = g.op("Softmax", List.of(Attr.i("axis", -1)), g.op("MatMul", q, kt));
            String ctx = g.op("Transpose", List.of(Attr.ints("perm", 0, 2, 1, 3)), g.op("MatMul", probs, v));
            String attn = linear(g, g.op("Reshape", ctx, mergeShape), p, b + "attn.proj");
            x = g.op("Add", x, layerScale(g, attn, p, b + "ls1"));
            // Feed-forward.
            String hidden = linear(g, layerNorm(g, x, p, b + "norm2", c.normEps()), p, b + "mlp.fc1");
            hidden = c.activation() == Mlp.Activation.GELU ? gelu(g, hidden) : quickGelu(g, hidden);
            String mlp = linear(g, hidden, p, b + "mlp.fc2");
            x = g.op("Add", x, layerScale(g, mlp, p, b + "ls2"));
        }
        String out = layerNorm(g, x, p, "norm", c.normEps());
        g.node("Identity", List.of(), List.of(out), List.of("tokens"));
        g.output("tokens", null, (long) prefix + (long) gh * gw, d);
        return g;
    }

    private static String layerNorm(OnnxGraph g, String x, Map<String, NDArray> p, String name, float eps) {
        long d = p.get(name + ".weight").getShape().get(0);
        return g.op("LayerNormalization", List.of(Attr.i("axis", -1), Attr.f("epsilon", eps)), x,
                g.floats(name + ".weight", f(p, name + ".weight"), d), g.floats(name + ".bias", f(p, name + ".bias"), d));
    }

    /** x·Wᵀ + b: MatMul with the transposed weight (as torch.onnx writes nn.Linear), then Add. */
    private static String linear(OnnxGraph g, String x, Map<String, NDArray> p, String name) {
        NDArray w = p.get(name + ".weight");
        long out = w.getShape().get(0);
        long in = w.getShape().get(1);
        float[] wt = transpose(w.toFloatArray(), (int) out, (int) in);
        String y = g.op("MatMul", x, g.floats(name + ".weight_t", wt, in, out));
        NDArray bias = p.get(name + ".bias");
        return bias == null ? y : g.op("Add", y, g.floats(name + ".bias", bias.toFloatArray(), out));
    }

    private static String layerScale(OnnxGraph g, String x, Map<String, NDArray> p, String name) {
        NDArray gamma = p.get(name + ".gamma");
        return gamma == null ? x : g.op("Mul", x, g.floats(name + ".gamma", gamma.toFloatArray(), gamma.getShape().get(0)));
    }

    /** Exact GELU, 0.5·x·(1 + erf(x/√2)): the pattern ORT fuses into one Gelu kernel. */
    private static String gelu(OnnxGraph g, String x) {
        String erf = g.op("Erf", g.op("Div", x, g.floats(g.fresh("sqrt2"), new float[] {(float) Math.sqrt(2.0)})));
        String onePlus = g.op("Add", erf, g.floats(g.fresh("one"), new float[] {1f}));
        return g.op("Mul", g.op("Mul", x, onePlus), g.floats(g.fresh("half"), new float[] {0.5f}));
    }

    private static String quickGelu(OnnxGraph g, String x) {
        return g.op("Mul", x, g.op("Sigmoid", g.op("Mul", x, g.floats(g.fresh("k1702"), new float[] {1.702f}))));
    }

    // ---------------------------------------------------------------- EfficientNet

    /** timm's efficientnet_b0 stage table: kernel sizes come from the weights, strides from here. */
    private static final int[] B0_STRIDES = {1, 2, 2, 2, 1, 2, 1};

    /**
     * timm's {@code efficientnet_b0} in eval mode, read from a checkpoint in timm's names (BatchNorm
     * folded into each conv as our loader folds it, in double), output "pooled" [B, 1280] and
     * "logits" [B, classes] as {@code ConvNet.forward} computes both.
     */
    static OnnxGraph efficientNet(Tensors st, String architecture, int side) {
        if (!architecture.equals("efficientnet_b0")) {
            throw new IllegalArgumentException("the ONNX test export covers efficientnet_b0 only");
        }
        double eps = 1e-5;
        OnnxGraph g = new OnnxGraph();
        g.input("images", null, 3L, (long) side, (long) side);
        String x = silu(g, convBn(g, st, "images", "conv_stem", "bn1", 2, eps));
        for (int s = 0; s < B0_STRIDES.length; s++) {
            for (int j = 0; st.has("blocks." + s + "." + j + ".conv_pw.weight") || st.has("blocks." + s + "." + j + ".conv_dw.weight"); j++) {
                String b = "blocks." + s + "." + j + ".";
                int stride = j == 0 ? B0_STRIDES[s] : 1;
                String in = x;
                long inChs = channels(st, b + (st.has(b + "conv_pwl.weight") ? "conv_pw" : "conv_dw"), true);
                long outChs;
                if (st.has(b + "conv_pwl.weight")) {
                    // Inverted residual: pw -> SiLU -> dw -> SiLU -> SE -> pwl.
                    String y = silu(g, convBn(g, st, x, b + "conv_pw", b + "bn1", 1, eps));
                    y = silu(g, convBn(g, st, y, b + "conv_dw", b + "bn2", stride, eps));
                    y = squeezeExcite(g, st, y, b);
                    x = convBn(g, st, y, b + "conv_pwl", b + "bn3", 1, eps);
                    outChs = channels(st, b + "conv_pwl", false);
                } else {
                    // Depthwise separable: dw -> SiLU -> SE -> pw.
                    String y = silu(g, convBn(g, st, x, b + "conv_dw", b + "bn1", stride, eps));
                    y = squeezeExcite(g, st, y, b);
                    x = convBn(g, st, y, b + "conv_pw", b + "bn2", 1, eps);
                    outChs = channels(st, b + "conv_pw", false);
                }
                if (stride == 1 && inChs == outChs) {
                    x = g.op("Add", x, in);
                }
            }
        }
        x = silu(g, convBn(g, st, x, "conv_head", "bn2", 1, eps));
        String pooled = g.op("Flatten", List.of(Attr.i("axis", 1)), g.op("GlobalAveragePool", x));
        g.node("Identity", List.of(), List.of(pooled), List.of("pooled"));
        long[] cw = st.shape("classifier.weight");
        String logits = g.op("Gemm", List.of(Attr.i("transB", 1)), pooled,
                g.floats("classifier.weight", st.floats("classifier.weight"), cw[0], cw[1]),
                g.floats("classifier.bias", st.floats("classifier.bias"), cw[0]));
        g.node("Identity", List.of(), List.of(logits), List.of("logits"));
        g.output("pooled", null, cw[1]);
        g.output("logits", null, cw[0]);
        return g;
    }

    /** Input channels of a conv (its weight's dim 1 times groups: depthwise convs have one per group). */
    private static long channels(Tensors st, String conv, boolean input) {
        long[] s = st.shape(conv + ".weight");
        if (!input) {
            return s[0];
        }
        return s[1] == 1 && conv.endsWith("conv_dw") ? s[0] : s[1];
    }

    private static String silu(OnnxGraph g, String x) {
        return g.op("Mul", x, g.op("Sigmoid", x));
    }

    private static String squeezeExcite(OnnxGraph g, Tensors st, String x, String b) {
        if (!st.has(b + "se.conv_reduce.weight")) {
            return x;
        }
        String s = g.op("GlobalAveragePool", x);
        s = silu(g, conv(g, st, s, b + "se.conv_reduce", st.floats(b + "se.conv_reduce.weight"), st.floats(b + "se.conv_reduce.bias"), 1, 1));
        s = conv(g, st, s, b + "se.conv_expand", st.floats(b + "se.conv_expand.weight"), st.floats(b + "se.conv_expand.bias"), 1, 1);
        return g.op("Mul", x, g.op("Sigmoid", s));
    }

    /** A bias-free conv and its eval BatchNorm folded as {@code Weights.convBn} folds them (double, rounded once). */
    private static String convBn(OnnxGraph g, Tensors st, String x, String conv, String bn, int stride, double eps) {
        float[] w = st.floats(conv + ".weight");
        long[] shape = st.shape(conv + ".weight");
        float[] gamma = st.floats(bn + ".weight");
        float[] beta = st.floats(bn + ".bias");
        float[] mean = st.floats(bn + ".running_mean");
        float[] var = st.floats(bn + ".running_var");
        int out = (int) shape[0];
        int per = w.length / out;
        float[] fw = new float[w.length];
        float[] fb = new float[out];
        for (int o = 0; o < out; o++) {
            double scale = gamma[o] / Math.sqrt((double) var[o] + eps);
            for (int k = 0; k < per; k++) {
                fw[o * per + k] = (float) (w[o * per + k] * scale);
            }
            fb[o] = (float) (beta[o] - mean[o] * scale);
        }
        long groups = shape[1] == 1 && conv.endsWith("conv_dw") ? shape[0] : 1;
        return conv(g, st, x, conv, fw, fb, stride, groups);
    }

    private static String conv(OnnxGraph g, Tensors st, String x, String name, float[] w, float[] b, int stride, long groups) {
        long[] shape = st.shape(name + ".weight");
        long k = shape[2];
        // timm's default padding: ((stride - 1) + (k - 1)) // 2 on every side.
        long pad = ((stride - 1) + (k - 1)) / 2;
        String out = g.fresh("conv");
        g.node("Conv", List.of(Attr.ints("kernel_shape", k, k), Attr.ints("strides", stride, stride),
                        Attr.ints("pads", pad, pad, pad, pad), Attr.i("group", groups)),
                List.of(x, g.floats(name + ".weight", w, shape), g.floats(name + ".bias", b, shape[0])), List.of(out));
        return out;
    }

    /** A checkpoint's float32 tensors by name. */
    record Tensors(SafeTensors file) {
        boolean has(String name) {
            return file.tensors().containsKey(name);
        }

        long[] shape(String name) {
            return file.info(name).shape();
        }

        float[] floats(String name) {
            return file.readFloats(name);
        }
    }

    private static float[] f(Map<String, NDArray> p, String name) {
        return p.get(name).toFloatArray();
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }
}
