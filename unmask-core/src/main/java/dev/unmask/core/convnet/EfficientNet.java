package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.CheckpointLayout;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * EfficientNet (B0-B7) and EfficientNetV2 (B0-B3, S, M, L, XL and Ross Wightman's RW variants)
 * exactly as timm 0.9.12 builds them ({@code timm/models/efficientnet.py},
 * {@code _efficientnet_builder.py}, {@code _efficientnet_blocks.py}), in eval mode.
 *
 * <p>The network is data: each timm generator is a block table in timm's own string notation
 * ({@code ir_r2_k3_s2_e6_c24_se0.25} = inverted residual, 2 repeats, 3x3, stride 2, expansion 6,
 * 24 channels, SE 0.25), scaled by {@code channel_multiplier} (rounded with
 * {@code make_divisible}) and {@code depth_multiplier} (repeats rounded up). The numeric traps:
 * <ul>
 *   <li>{@code tf_} models use TF "SAME" padding (asymmetric on stride 2, see {@link Conv}) and
 *       BatchNorm eps 1e-3; the others pad symmetrically with eps 1e-5.</li>
 *   <li>Squeeze-excitation sits on the expanded channels with {@code round(mid * se / exp)}
 *       reduced channels (Python's round: halves to even) and uses the block's SiLU.</li>
 *   <li>Expanded widths use {@code make_divisible(in * exp)} with the default 0.9 round limit,
 *       but output widths use the generator's limit (0.0 for V2 B0-B3).</li>
 *   <li>A block adds its input only at stride 1 with equal widths; {@code cn} blocks only when
 *       their string says {@code skip}. Drop-path is off at inference.</li>
 * </ul>
 * Stages are timm's {@code blocks[i]}; the head is {@code conv_head -> bn2 -> SiLU}.
 */
public final class EfficientNet extends ConvNet {

    /** timm's generator functions: block table, stem width, head width and rounding. */
    private enum Generator {
        EFFICIENTNET(32, 1280, true, 0.9,
                "ds_r1_k3_s1_e1_c16_se0.25", "ir_r2_k3_s2_e6_c24_se0.25", "ir_r2_k5_s2_e6_c40_se0.25",
                "ir_r3_k3_s2_e6_c80_se0.25", "ir_r3_k5_s1_e6_c112_se0.25", "ir_r4_k5_s2_e6_c192_se0.25",
                "ir_r1_k3_s1_e6_c320_se0.25"),
        V2_BASE(32, 1280, true, 0.0,
                "cn_r1_k3_s1_e1_c16_skip", "er_r2_k3_s2_e4_c32", "er_r2_k3_s2_e4_c48",
                "ir_r3_k3_s2_e4_c96_se0.25", "ir_r5_k3_s1_e6_c112_se0.25", "ir_r8_k3_s2_e6_c192_se0.25"),
        V2_S(24, 1280, true, 0.9,
                "cn_r2_k3_s1_e1_c24_skip", "er_r4_k3_s2_e4_c48", "er_r4_k3_s2_e4_c64",
                "ir_r6_k3_s2_e4_c128_se0.25", "ir_r9_k3_s1_e6_c160_se0.25", "ir_r15_k3_s2_e6_c256_se0.25"),
        /** {@code _gen_efficientnetv2_s(rw=True)}: the pre-release variant. */
        V2_S_RW(24, 1792, true, 0.9,
                "er_r2_k3_s1_e1_c24", "er_r4_k3_s2_e4_c48", "er_r4_k3_s2_e4_c64",
                "ir_r6_k3_s2_e4_c128_se0.25", "ir_r9_k3_s1_e6_c160_se0.25", "ir_r15_k3_s2_e6_c272_se0.25"),
        V2_M(24, 1280, false, 0.9,
                "cn_r3_k3_s1_e1_c24_skip", "er_r5_k3_s2_e4_c48", "er_r5_k3_s2_e4_c80",
                "ir_r7_k3_s2_e4_c160_se0.25", "ir_r14_k3_s1_e6_c176_se0.25", "ir_r18_k3_s2_e6_c304_se0.25",
                "ir_r5_k3_s1_e6_c512_se0.25"),
        V2_L(32, 1280, false, 0.9,
                "cn_r4_k3_s1_e1_c32_skip", "er_r7_k3_s2_e4_c64", "er_r7_k3_s2_e4_c96",
                "ir_r10_k3_s2_e4_c192_se0.25", "ir_r19_k3_s1_e6_c224_se0.25", "ir_r25_k3_s2_e6_c384_se0.25",
                "ir_r7_k3_s1_e6_c640_se0.25"),
        V2_XL(32, 1280, false, 0.9,
                "cn_r4_k3_s1_e1_c32_skip", "er_r8_k3_s2_e4_c64", "er_r8_k3_s2_e4_c96",
                "ir_r16_k3_s2_e4_c192_se0.25", "ir_r24_k3_s1_e6_c256_se0.25", "ir_r32_k3_s2_e6_c512_se0.25",
                "ir_r8_k3_s1_e6_c640_se0.25");

        final int stemSize;
        final int numFeatures;
        /** V2 M/L/XL pass num_features=1280 unrounded; the others round it like every width. */
        final boolean roundFeatures;
        final double roundLimit;
        final List<String> stages;

        Generator(int stemSize, int numFeatures, boolean roundFeatures, double roundLimit, String... stages) {
            this.stemSize = stemSize;
            this.numFeatures = numFeatures;
            this.roundFeatures = roundFeatures;
            this.roundLimit = roundLimit;
            this.stages = List.of(stages);
        }
    }

    /** A registered timm name: generator, default multipliers, and whether it is a TF port. */
    private record Variant(Generator generator, double channels, double[] depth, boolean tf) {}

    private static final Map<String, Variant> VARIANTS = new LinkedHashMap<>();

    static {
        double[][] b = {{1.0, 1.0}, {1.0, 1.1}, {1.1, 1.2}, {1.2, 1.4}, {1.4, 1.8}, {1.6, 2.2}, {1.8, 2.6}, {2.0, 3.1}};
        for (int i = 0; i < b.length; i++) {
            VARIANTS.put("efficientnet_b" + i, variant(Generator.EFFICIENTNET, b[i][0], b[i][1], false));
            VARIANTS.put("tf_efficientnet_b" + i, variant(Generator.EFFICIENTNET, b[i][0], b[i][1], true));
        }
        double[][] v2 = {{1.0, 1.0}, {1.0, 1.1}, {1.1, 1.2}, {1.2, 1.4}};
        for (int i = 0; i < v2.length; i++) {
            VARIANTS.put("tf_efficientnetv2_b" + i, variant(Generator.V2_BASE, v2[i][0], v2[i][1], true));
        }
        Map<String, Generator> sizes = Map.of("s", Generator.V2_S, "m", Generator.V2_M, "l", Generator.V2_L,
                "xl", Generator.V2_XL);
        for (String size : List.of("s", "m", "l", "xl")) {
            VARIANTS.put("tf_efficientnetv2_" + size, variant(sizes.get(size), 1.0, 1.0, true));
            VARIANTS.put("efficientnetv2_" + size, variant(sizes.get(size), 1.0, 1.0, false));
        }
        VARIANTS.put("efficientnetv2_rw_t", variant(Generator.V2_S, 0.8, 0.9, false));
        VARIANTS.put("efficientnetv2_rw_s", variant(Generator.V2_S_RW, 1.0, 1.0, false));
        VARIANTS.put("efficientnetv2_rw_m", new Variant(Generator.V2_S_RW, 1.2,
                new double[] {1.2, 1.2, 1.2, 1.2, 1.6, 1.6}, false));
    }

    private static Variant variant(Generator g, double channels, double depth, boolean tf) {
        double[] d = new double[g.stages.size()];
        Arrays.fill(d, depth);
        return new Variant(g, channels, d, tf);
    }

    static boolean supports(String architecture) {
        return VARIANTS.containsKey(architecture);
    }

    static List<String> architectures() {
        return List.copyOf(VARIANTS.keySet());
    }

    /** One entry of a block table, decoded as timm's {@code _decode_block_str} does. */
    private record BlockDef(String type, int repeats, int kernel, int stride, double expRatio, int outChs,
            double seRatio, Boolean skip) {

        static BlockDef parse(String s) {
            String[] ops = s.split("_");
            Map<String, String> opts = new LinkedHashMap<>();
            Boolean skip = null;
            for (int i = 1; i < ops.length; i++) {
                if (ops[i].equals("noskip")) {
                    skip = false;
                } else if (ops[i].equals("skip")) {
                    skip = true;
                } else {
                    int d = 0;
                    while (!Character.isDigit(ops[i].charAt(d))) {
                        d++;
                    }
                    opts.put(ops[i].substring(0, d), ops[i].substring(d));
                }
            }
            return new BlockDef(ops[0], Integer.parseInt(opts.get("r")), Integer.parseInt(opts.get("k")),
                    Integer.parseInt(opts.get("s")), Double.parseDouble(opts.getOrDefault("e", "1")),
                    Integer.parseInt(opts.get("c")), Double.parseDouble(opts.getOrDefault("se", "0")), skip);
        }
    }

    /** The configuration a checkpoint is checked against, and the one error messages describe. */
    private record Spec(String architecture, Generator generator, double channelMultiplier, double[] depthMultiplier,
            String padType, double bnEps, boolean fixStem, int numClasses) {

        int round(double channels) {
            return makeDivisible(channels * channelMultiplier, 8, generator.roundLimit);
        }

        int stemSize() {
            return fixStem ? generator.stemSize : round(generator.stemSize);
        }

        int numFeatures() {
            return generator.roundFeatures ? round(generator.numFeatures) : generator.numFeatures;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s (channel_multiplier %s, depth_multiplier %s, num_classes %d)",
                    architecture, channelMultiplier, depthString(), numClasses);
        }

        private String depthString() {
            boolean same = Arrays.stream(depthMultiplier).allMatch(d -> d == depthMultiplier[0]);
            return same ? String.valueOf(depthMultiplier[0]) : Arrays.toString(depthMultiplier);
        }
    }

    /**
     * timm's {@code make_divisible}: the nearest multiple of the divisor (at least the divisor),
     * one step higher if that lost more than {@code 1 - roundLimit} of {@code v}.
     */
    static int makeDivisible(double v, int divisor, double roundLimit) {
        int rounded = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        return rounded < roundLimit * v ? rounded + divisor : rounded;
    }

    /**
     * {@code model_args} multipliers replace the variant's own (timm 0.9.12 itself only accepts
     * them for names that do not set them, such as {@code tf_efficientnetv2_b0}).
     */
    static EfficientNet load(String architecture, TimmConfig cfg, SafeTensors weights, CheckpointLayout layout, NDManager manager,
                             Map<String, SafeTensorsWriter.Tensor> drawn) {
        Variant v = VARIANTS.get(architecture);
        Spec spec = new Spec(architecture, v.generator,
                cfg.positive("channel_multiplier", v.channels),
                cfg.perStage("depth_multiplier", v.depth),
                cfg.choice("pad_type", v.tf ? "same" : "", "", "same"),
                cfg.positive("bn_eps", v.tf ? 1e-3 : 1e-5),
                cfg.flag("fix_stem", false),
                cfg.numClasses);
        // output_stride < 32 turns strides into dilations; we only implement the default.
        if (cfg.positive("output_stride", 32) != 32) {
            throw new UserError("config.json: model_args.output_stride other than 32 is not supported");
        }
        cfg.rejectUnknownArgs();
        cfg.checkNumFeatures(spec.numFeatures());
        NDManager params = manager.newSubManager();
        try {
            return Weights.load(weights, layout, params, spec.toString(), w -> new EfficientNet(spec, w, params), drawn);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    private final Spec spec;
    private final Conv stem;
    private final List<List<Block>> stages = new ArrayList<>();
    private final Conv head;
    private final Weights.Linear classifier;
    private final Map<String, NDArray> convTensors;

    private EfficientNet(Spec spec, Weights w, NDManager params) {
        super(spec.architecture, params);
        this.spec = spec;
        int stemSize = spec.stemSize();
        stem = convBn(w, "conv_stem", "bn1", 3, stemSize, 3, 2, 1);
        int in = stemSize;
        for (int s = 0; s < spec.generator.stages.size(); s++) {
            BlockDef def = BlockDef.parse(spec.generator.stages.get(s));
            int repeats = (int) Math.ceil(def.repeats * spec.depthMultiplier[s]);
            List<Block> blocks = new ArrayList<>();
            for (int j = 0; j < repeats; j++) {
                int out = spec.round(def.outChs);
                blocks.add(block(w, "blocks." + s + "." + j, def, in, out, j == 0 ? def.stride : 1));
                in = out;
            }
            stages.add(blocks);
        }
        head = convBn(w, "conv_head", "bn2", in, spec.numFeatures(), 1, 1, 1);
        classifier = spec.numClasses == 0 ? null : w.linear("classifier", spec.numFeatures(), spec.numClasses);
        convTensors = w.convTensors();
    }

    private Conv convBn(Weights w, String conv, String bn, int in, int out, int k, int stride, int groups) {
        return w.convBn(conv, bn, in, out, k, stride, groups, Conv.timmPadding(spec.padType, k, stride), spec.bnEps);
    }

    private Block block(Weights w, String name, BlockDef d, int in, int out, int stride) {
        boolean residual = stride == 1 && in == out && !Boolean.FALSE.equals(d.skip);
        switch (d.type) {
            case "cn" -> {
                Conv conv = convBn(w, name + ".conv", name + ".bn1", in, out, d.kernel, stride, 1);
                return new ConvBnAct(conv, stride == 1 && in == out && Boolean.TRUE.equals(d.skip));
            }
            case "ds" -> {
                Conv dw = convBn(w, name + ".conv_dw", name + ".bn1", in, in, d.kernel, stride, in);
                // timm divides the SE ratio by exp_ratio, which ds blocks do not have (default 1.0).
                SqueezeExcite se = se(w, name, in, d.seRatio);
                Conv pw = convBn(w, name + ".conv_pw", name + ".bn2", in, out, 1, 1, 1);
                return new DepthwiseSeparable(dw, se, pw, residual);
            }
            case "ir" -> {
                int mid = makeDivisible(in * d.expRatio, 8, 0.9);
                Conv pw = convBn(w, name + ".conv_pw", name + ".bn1", in, mid, 1, 1, 1);
                Conv dw = convBn(w, name + ".conv_dw", name + ".bn2", mid, mid, d.kernel, stride, mid);
                SqueezeExcite se = se(w, name, mid, d.seRatio / d.expRatio);
                Conv pwl = convBn(w, name + ".conv_pwl", name + ".bn3", mid, out, 1, 1, 1);
                return new InvertedResidual(pw, dw, se, pwl, residual);
            }
            case "er" -> {
                int mid = makeDivisible(in * d.expRatio, 8, 0.9);
                Conv exp = convBn(w, name + ".conv_exp", name + ".bn1", in, mid, d.kernel, stride, 1);
                SqueezeExcite se = se(w, name, mid, d.seRatio / d.expRatio);
                Conv pwl = convBn(w, name + ".conv_pwl", name + ".bn2", mid, out, 1, 1, 1);
                return new EdgeResidual(exp, se, pwl, residual);
            }
            default -> throw new IllegalStateException("block type " + d.type);
        }
    }

    /** SE on {@code chs} channels; timm has already divided the ratio by the expansion. */
    private static SqueezeExcite se(Weights w, String block, int chs, double ratio) {
        if (ratio <= 0) {
            return null;
        }
        int reduced = (int) Math.rint(chs * ratio);
        return new SqueezeExcite(
                w.conv(block + ".se.conv_reduce", chs, reduced, 1, 1, 1, 0, true),
                w.conv(block + ".se.conv_expand", reduced, chs, 1, 1, 1, 0, true));
    }

    /** A residual block: its forward pass, and its layers for {@link Trace}. */
    private interface Block extends UnaryOperator<NDArray> {
        void trace(Trace t);
    }

    private static NDArray residual(NDArray y, NDArray x, boolean add) {
        return add ? y.addi(x) : y;
    }

    private record SqueezeExcite(Conv reduce, Conv expand) {
        NDArray apply(NDArray x) {
            NDArray s = siluInPlace(reduce.apply(spatialMean(x, true)));
            return mulInPlace(x, Activation.sigmoid(expand.apply(s)));
        }

        static NDArray maybe(SqueezeExcite se, NDArray x) {
            return se == null ? x : se.apply(x);
        }

        static void trace(SqueezeExcite se, Trace t) {
            if (se != null) {
                t.pooled(se.reduce);
                t.pooled(se.expand);
            }
        }
    }

    /** {@code cn}: conv -> BN -> SiLU. */
    private record ConvBnAct(Conv conv, boolean skip) implements Block {
        @Override
        public NDArray apply(NDArray x) {
            return residual(siluInPlace(conv.apply(x)), x, skip);
        }

        @Override
        public void trace(Trace t) {
            t.conv(conv);
        }
    }

    /** {@code ds}: depthwise -> BN -> SiLU -> SE -> pointwise -> BN (no activation). */
    private record DepthwiseSeparable(Conv dw, SqueezeExcite se, Conv pw, boolean skip) implements Block {
        @Override
        public NDArray apply(NDArray x) {
            NDArray y = SqueezeExcite.maybe(se, siluInPlace(dw.apply(x)));
            return residual(pw.apply(y), x, skip);
        }

        @Override
        public void trace(Trace t) {
            t.conv(dw);
            SqueezeExcite.trace(se, t);
            t.conv(pw);
        }
    }

    /** {@code ir} (MBConv): pointwise -> BN -> SiLU -> depthwise -> BN -> SiLU -> SE -> pointwise -> BN. */
    private record InvertedResidual(Conv pw, Conv dw, SqueezeExcite se, Conv pwl, boolean skip) implements Block {
        @Override
        public NDArray apply(NDArray x) {
            NDArray y = siluInPlace(pw.apply(x));
            y = SqueezeExcite.maybe(se, siluInPlace(dw.apply(y)));
            return residual(pwl.apply(y), x, skip);
        }

        @Override
        public void trace(Trace t) {
            t.conv(pw);
            t.conv(dw);
            SqueezeExcite.trace(se, t);
            t.conv(pwl);
        }
    }

    /** {@code er} (fused MBConv): full kxk conv -> BN -> SiLU -> (SE) -> pointwise -> BN. */
    private record EdgeResidual(Conv exp, SqueezeExcite se, Conv pwl, boolean skip) implements Block {
        @Override
        public NDArray apply(NDArray x) {
            NDArray y = SqueezeExcite.maybe(se, siluInPlace(exp.apply(x)));
            return residual(pwl.apply(y), x, skip);
        }

        @Override
        public void trace(Trace t) {
            t.conv(exp);
            SqueezeExcite.trace(se, t);
            t.conv(pwl);
        }
    }

    @Override
    public int numFeatures() {
        return spec.numFeatures();
    }

    @Override
    public int numStages() {
        return stages.size();
    }

    @Override
    public List<String> stageNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            names.add("blocks." + i);
        }
        return names;
    }

    @Override
    NDArray stem(NDArray x) {
        return siluInPlace(stem.apply(x));
    }

    @Override
    NDArray stage(int index, NDArray x) {
        return chain(x, stages.get(index));
    }

    @Override
    NDArray head(NDArray x) {
        return siluInPlace(head.apply(x));
    }

    @Override
    String headName() {
        return "conv_head";
    }

    @Override
    List<String> headPrefixes() {
        return List.of("conv_head");
    }

    @Override
    Map<String, NDArray> convTensors() {
        return convTensors;
    }

    @Override
    Weights.Linear classifier() {
        return classifier;
    }

    @Override
    int minInputSize() {
        return 1;
    }

    @Override
    void trace(Trace t) {
        t.conv(stem);
        for (List<Block> stage : stages) {
            for (Block b : stage) {
                b.trace(t);
            }
        }
        t.conv(head);
    }
}
