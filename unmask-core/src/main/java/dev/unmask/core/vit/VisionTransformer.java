package dev.unmask.core.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.tensor.GradMode;
import dev.unmask.core.vit.layers.Attention;
import dev.unmask.core.vit.layers.Block;
import dev.unmask.core.vit.layers.LayerNorm;
import dev.unmask.core.vit.layers.LayerScale;
import dev.unmask.core.vit.layers.Linear;
import dev.unmask.core.vit.layers.Mlp;
import dev.unmask.core.vit.layers.PatchEmbedding;
import dev.unmask.core.vit.layers.Rope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Vision Transformer for every checkpoint family (DINOv2 with and without registers, DINO v1,
 * MAE, supervised timm and transformers ViTs, CLIP image towers, DINOv3 with RoPE), driven by a
 * {@link ViTConfig}. Weights are in canonical names; {@link ViTLoader} converts checkpoints into them.
 *
 * <p>Every block runs in its own NDManager scope: DJL places an op's result in the manager of its
 * first input, so without scoping all intermediates of a forward pass pile up until the caller's
 * manager closes (15 GB for ViT-S at batch 32, DESIGN.md).
 */
public final class VisionTransformer implements AutoCloseable {
    private final ViTConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final PatchEmbedding patchEmbed;
    private final List<Block> blocks;
    private final LayerNorm norm;
    private final Linear head;
    private final LayerNorm normPre;
    private final Linear projection;
    private final float[] ropePeriods;
    private final Map<Long, Rope> ropeCache = Collections.synchronizedMap(new LinkedHashMap<>());
    private final float[][] posGridValues;
    private final NDArray posCls;
    private final NDArray posRegisters;
    private final Map<Long, NDArray> posCache = Collections.synchronizedMap(new LinkedHashMap<>());

    /** Takes ownership of {@code manager}, which holds {@code params} (canonical names). */
    public VisionTransformer(ViTConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        float eps = config.normEps();
        this.patchEmbed = PatchEmbedding.fromConv(params.get("patch_embed.proj.weight"), params.get("patch_embed.proj.bias"));
        List<Block> bl = new ArrayList<>();
        for (int i = 0; i < config.depth(); i++) {
            String b = "blocks." + i + ".";
            bl.add(new Block(
                    new LayerNorm(params.get(b + "norm1.weight"), params.get(b + "norm1.bias"), eps),
                    new Attention(new Linear(params.get(b + "attn.qkv.weight"), params.get(b + "attn.qkv.bias")),
                            new Linear(params.get(b + "attn.proj.weight"), params.get(b + "attn.proj.bias")),
                            config.numHeads()),
                    new LayerScale(params.get(b + "ls1.gamma")),
                    new LayerNorm(params.get(b + "norm2.weight"), params.get(b + "norm2.bias"), eps),
                    new Mlp(new Linear(params.get(b + "mlp.fc1.weight"), params.get(b + "mlp.fc1.bias")),
                            new Linear(params.get(b + "mlp.fc2.weight"), params.get(b + "mlp.fc2.bias")),
                            config.swiglu(), config.activation()),
                    new LayerScale(params.get(b + "ls2.gamma"))));
        }
        this.blocks = List.copyOf(bl);
        this.norm = new LayerNorm(params.get("norm.weight"), params.get("norm.bias"), eps);
        this.normPre = config.preNorm() ? new LayerNorm(params.get("norm_pre.weight"), params.get("norm_pre.bias"), eps) : null;
        this.head = config.numClasses() > 0 ? new Linear(params.get("head.weight"), params.get("head.bias")) : null;
        this.projection = config.projectionDim() > 0 ? new Linear(params.get("proj.weight"), null) : null;
        if (config.rope()) {
            NDArray stored = params.get("rope.periods");
            this.ropePeriods = stored != null ? stored.toFloatArray() : Rope.periods(config.ropeTheta(), config.headDim());
            this.posGridValues = null;
            this.posCls = null;
            this.posRegisters = null;
            return;
        }
        this.ropePeriods = null;

        NDArray pos = params.get("pos_embed");
        int prefix = config.posPrefix();
        int grid = config.posGrid() * config.posGrid();
        float[] all = pos.toFloatArray();
        int d = config.embedDim();
        this.posGridValues = new float[grid][d];
        for (int i = 0; i < grid; i++) {
            System.arraycopy(all, (prefix + i) * d, posGridValues[i], 0, d);
        }
        this.posCls = prefix > 0 ? pos.get(new NDIndex(":, 0:1, :")) : null;
        this.posRegisters = prefix > 1 ? pos.get(new NDIndex(":, 1:{}, :", prefix)) : null;
    }

    public ViTConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** Canonical name → tensor, for training, caching keys and the detector file. */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    public List<Block> blocks() {
        return blocks;
    }

    public LayerNorm norm() {
        return norm;
    }

    /**
     * The learned patch position grid resized to {@code gh × gw} with the family's resampling,
     * row-major [gh·gw][D]. Unchanged when the grid already matches. Null for RoPE models, which
     * have no position table.
     */
    public float[][] positionGrid(int gh, int gw) {
        if (config.rope()) {
            return null;
        }
        int m = config.posGrid();
        if (gh == m && gw == m) {
            return posGridValues;
        }
        return config.resampling().resample(posGridValues, m, m, gh, gw);
    }

    private NDArray positionGridArray(int gh, int gw) {
        long key = ((long) gh << 32) | gw;
        synchronized (posCache) {
            NDArray cached = posCache.get(key);
            if (cached != null) {
                return cached;
            }
            float[][] g = positionGrid(gh, gw);
            float[] flat = new float[g.length * config.embedDim()];
            for (int i = 0; i < g.length; i++) {
                System.arraycopy(g[i], 0, flat, i * config.embedDim(), config.embedDim());
            }
            NDArray a = dev.unmask.core.tensor.Tensors.libtorchOwned(manager, flat, new Shape(1, g.length, config.embedDim()));
            if (posCache.size() > 16) {
                Long first = posCache.keySet().iterator().next();
                posCache.remove(first).close();
            }
            posCache.put(key, a);
            return a;
        }
    }

    /** RoPE angles of a {@code gh × gw} grid [gh·gw][head_dim] (sin and cos of these rotate q and k), or null without RoPE. */
    public float[][] ropeAngles(int gh, int gw) {
        return ropePeriods == null ? null : Rope.angles(gh, gw, ropePeriods);
    }

    /** The rotary tables of a {@code gh × gw} grid, made once per grid size. */
    private Rope rope(int gh, int gw) {
        long key = ((long) gh << 32) | gw;
        synchronized (ropeCache) {
            Rope cached = ropeCache.get(key);
            if (cached != null) {
                return cached;
            }
            Rope r = Rope.of(manager, gh, gw, ropePeriods, config.numPrefixTokens());
            if (ropeCache.size() > 16) {
                Long first = ropeCache.keySet().iterator().next();
                Rope old = ropeCache.remove(first);
                old.sin().close();
                old.cos().close();
            }
            ropeCache.put(key, r);
            return r;
        }
    }

    /**
     * Patch embedding plus positions, then [CLS, registers, patches]. Position entries before the
     * grid go to CLS (and registers when the checkpoint has entries for them); DINOv2 registers
     * are inserted after the position embedding and get none.
     */
    public NDArray embed(NDArray images) {
        long b = images.getShape().get(0);
        int gh = (int) (images.getShape().get(2) / config.patchSize());
        int gw = (int) (images.getShape().get(3) / config.patchSize());
        NDArray patches = patchEmbed.forward(images);
        if (!config.rope()) {
            patches = patches.add(positionGridArray(gh, gw));
        }
        // Start from arrays of the call's scope: an op whose first input is a parameter would
        // put its result in the model's long-lived manager.
        NDManager scope = patches.getManager();
        long d = config.embedDim();
        int r = config.numRegisters();
        NDArray cls = scope.zeros(new Shape(b, 1, d)).add(parameters.get("cls_token"));
        if (posCls != null) {
            cls = cls.add(posCls);
        }
        NDList parts = new NDList(cls);
        if (r > 0) {
            NDArray reg = scope.zeros(new Shape(b, r, d)).add(parameters.get("register_tokens"));
            if (posRegisters != null) {
                reg = reg.add(posRegisters);
            }
            parts.add(reg);
        }
        parts.add(patches);
        NDArray tokens = NDArrays.concat(parts, 1);
        return normPre == null ? tokens : normPre.forward(tokens);
    }

    /**
     * The one forward pass every user of the backbone runs (see {@link ForwardPass}). Each block
     * runs in its own NDManager scope and the pass in one of its own; what it hands back joins
     * {@code input}'s manager. Recorded by autograd, libtorch's graph keeps what backward needs
     * though the scopes close their Java handles.
     */
    public ForwardPass.Output forward(NDArray input, ForwardPass pass) {
        if (pass.to() > config.depth()) {
            throw new IllegalArgumentException("blocks [" + pass.from() + ", " + pass.to() + ") of a backbone of depth " + config.depth());
        }
        if (pass.gradients() && !GradMode.recording()) {
            throw new IllegalStateException("a pass with gradients must run inside an autograd recording");
        }
        boolean images = input.getShape().dimension() == 4;
        if (images ? pass.from() != 0 : input.getShape().dimension() != 3) {
            throw new IllegalArgumentException("a pass from block " + pass.from() + " takes "
                    + (pass.from() == 0 ? "images [B, C, H, W] or " : "") + "tokens [B, T, D], not " + input.getShape());
        }
        NDManager parent = input.getManager();
        try (GradMode.Restore mode = GradMode.set(pass.gradients()); NDManager scope = parent.newSubManager()) {
            input.tempAttach(scope);
            NDArray x = images ? embed(input) : input;
            Rope rope = config.rope() ? ropeFor(input, images) : null;
            List<NDArray> normed = new ArrayList<>();
            Map<Integer, NDArray> attention = new TreeMap<>();
            int firstNormed = pass.to() - pass.normedLast();
            for (int i = pass.from(); i < pass.to(); i++) {
                Attention.Result r = runBlock(i, x, pass.attention().contains(i), pass.tap(), rope);
                if (x != input) {
                    // Only the Java handle goes: autograd's graph holds its own reference when needed.
                    x.close();
                }
                x = r.output();
                if (r.probs() != null) {
                    attention.put(i, r.probs());
                }
                if (i >= firstNormed) {
                    normed.add(norm.forward(x));
                }
            }
            if (x != input) {
                x.attach(parent);
            }
            normed.forEach(a -> a.attach(parent));
            attention.values().forEach(a -> a.attach(parent));
            return new ForwardPass.Output(x, List.copyOf(normed), Collections.unmodifiableMap(attention));
        }
    }

    /**
     * The rotary tables for a pass: the grid of the images, or, for a pass from a later block
     * given tokens, the square grid their count implies (the tokens do not say a non-square one).
     */
    private Rope ropeFor(NDArray input, boolean images) {
        if (images) {
            return rope((int) (input.getShape().get(2) / config.patchSize()), (int) (input.getShape().get(3) / config.patchSize()));
        }
        long patches = input.getShape().get(1) - config.numPrefixTokens();
        int side = (int) Math.round(Math.sqrt(Math.max(patches, 0)));
        if ((long) side * side != patches || side == 0) {
            throw new IllegalArgumentException("a RoPE pass from a later block needs a square patch grid, not " + patches + " patches");
        }
        return rope(side, side);
    }

    /** Block {@code i} in its own scope; the output (and attention) join {@code x}'s manager. */
    private Attention.Result runBlock(int i, NDArray x, boolean keepProbs, ForwardPass.AttentionTap tap, Rope rope) {
        NDManager parent = x.getManager();
        try (NDManager scope = parent.newSubManager()) {
            x.tempAttach(scope);
            Attention.Result r = blocks.get(i).forward(x, keepProbs, tap == null ? null : probs -> tap.apply(i, probs), rope);
            r.output().attach(parent);
            if (r.probs() != null) {
                r.probs().attach(parent);
            }
            return r;
        }
    }

    /**
     * The features every consumer needs, from a whole pass without gradients.
     *
     * @param lastN           how many last blocks to report CLS for (clamped to the depth)
     * @param keepBlockTokens also keep all normed tokens of those blocks (for the {@code all_*} probes)
     * @param attention       keep the last block's attention probabilities
     */
    public ViTFeatures features(NDArray images, int lastN, boolean keepBlockTokens, boolean attention) {
        int depth = config.depth();
        int n = Math.max(1, Math.min(lastN, depth));
        ForwardPass pass = ForwardPass.blocks(0, depth).keepNormed(n);
        if (attention) {
            pass = pass.keepAttention(depth - 1);
        }
        NDManager parent = images.getManager();
        try (NDManager scope = parent.newSubManager()) {
            images.tempAttach(scope);
            ForwardPass.Output out = forward(images, pass);
            List<NDArray> cls = new ArrayList<>();
            for (NDArray normed : out.normed()) {
                cls.add(normed.get(new NDIndex(":, 0:1, :")));
            }
            NDArray tokens = out.normed().get(n - 1);
            NDArray clsLast = NDArrays.concat(new NDList(cls), 1);
            NDArray attn = out.attention().get(depth - 1);
            tokens.attach(parent);
            clsLast.attach(parent);
            NDArray[] kept = null;
            if (keepBlockTokens) {
                kept = out.normed().toArray(new NDArray[0]);
                for (NDArray a : kept) {
                    a.attach(parent);
                }
            }
            if (attn != null) {
                attn.attach(parent);
            }
            int gh = (int) (images.getShape().get(2) / config.patchSize());
            int gw = (int) (images.getShape().get(3) / config.patchSize());
            return new ViTFeatures(tokens, clsLast, kept, attn, config.numRegisters(), gh, gw);
        }
    }

    /** CLIP's image embedding: the final normed CLS through the visual projection, or null without one. */
    public NDArray imageEmbeds(ViTFeatures f) {
        return projection == null ? null : projection.forward(f.clsFinal());
    }

    /** The checkpoint's own classifier on the final normed CLS, or null without one. */
    public NDArray logits(ViTFeatures f) {
        return head == null ? null : head.forward(f.clsFinal());
    }

    @Override
    public void close() {
        manager.close();
    }
}
