package dev.unmask.core.vit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.checkpoint.DType;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.checkpoint.SafeTensorsWriter.Tensor;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.model.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same weights written in another family's layout (names, split qkv, timm's folded CLS
 * position, registers, dtypes, shards) must give the research code's outputs: a converter that
 * renames or reshapes wrongly cannot pass.
 */
class CheckpointLayoutsTest {
    private static final Pattern BLOCK = Pattern.compile("^blocks\\.(\\d+)\\.(.+)$");

    @TempDir
    Path tmp;

    static Map<String, Tensor> read(Path dir) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.openDirectory(dir)) {
            st.tensors().forEach((k, v) -> out.put(k, new Tensor(v.shape(), st.readFloats(k))));
        }
        return out;
    }

    /** Canonical → transformers names, with q, k, v split from qkv. */
    static Map<String, Tensor> toTransformers(Map<String, Tensor> src, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        BiConsumer<String, Tensor> put = (k, t) -> out.put(prefix + k, t);
        src.forEach((k, t) -> {
            Matcher m = BLOCK.matcher(k);
            if (m.matches()) {
                String l = "encoder.layer." + m.group(1) + ".";
                String r = m.group(2);
                if (r.startsWith("attn.qkv.")) {
                    String param = r.substring("attn.qkv.".length());
                    int rows = (int) t.shape()[0] / 3;
                    int cols = t.data().length / (3 * rows);
                    String[] names = {"query", "key", "value"};
                    for (int i = 0; i < 3; i++) {
                        long[] shape = t.shape().clone();
                        shape[0] = rows;
                        put.accept(l + "attention.attention." + names[i] + "." + param,
                                new Tensor(shape, Arrays.copyOfRange(t.data(), i * rows * cols, (i + 1) * rows * cols)));
                    }
                    return;
                }
                String n = r.replace("attn.proj.", "attention.output.dense.")
                        .replace("ls1.gamma", "layer_scale1.lambda1").replace("ls2.gamma", "layer_scale2.lambda1");
                put.accept(l + n, t);
                return;
            }
            switch (k) {
                case "cls_token" -> put.accept("embeddings.cls_token", t);
                case "pos_embed" -> put.accept("embeddings.position_embeddings", t);
                case "register_tokens" -> put.accept("embeddings.register_tokens", t);
                case "mask_token" -> put.accept("embeddings.mask_token", t);
                case "patch_embed.proj.weight" -> put.accept("embeddings.patch_embeddings.projection.weight", t);
                case "patch_embed.proj.bias" -> put.accept("embeddings.patch_embeddings.projection.bias", t);
                case "norm.weight" -> put.accept("layernorm.weight", t);
                case "norm.bias" -> put.accept("layernorm.bias", t);
                default -> out.put(k.startsWith("decoder") ? "decoder." + k : k, t);
            }
        });
        return out;
    }

    static Map<String, Tensor> renameVitLayers(Map<String, Tensor> hf) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        hf.forEach((k, t) -> out.put(k.replace(".norm1.", ".layernorm_before.").replace(".norm2.", ".layernorm_after.")
                .replace(".mlp.fc1.", ".intermediate.dense.").replace(".mlp.fc2.", ".output.dense."), t));
        return out;
    }

    Path writeModel(String name, String config, Map<String, Tensor> tensors) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("config.json"), config);
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }

    static void assertMatchesGolden(Path dir, String goldenCase) throws Exception {
        JsonNode exp = Golden.expected(goldenCase);
        Path input = Golden.dir(goldenCase).resolve("input.png");
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = ModelDirectory.open(dir).loadViT(m)) {
            int[][][] rgb = ImageTensor.readRgb(input);
            NDArray x = m.create(ImageTensor.normalize(rgb, vit.config().mean(), vit.config().std()),
                    new Shape(1, 3, rgb[0].length, rgb[0][0].length));
            ViTFeatures f = vit.features(x, 4, false, true);
            assertThat(Golden.relativeError(f.clsFinal().toFloatArray(), Golden.flat(exp.get("cls_final")))).isLessThan(1e-4);
            assertThat(Golden.relativeError(f.clsLast().toFloatArray(), Golden.flat(exp.get("cls_last4")))).isLessThan(1e-4);
            assertThat(Golden.relativeError(f.attentionClsToPatches().toFloatArray(), Golden.flat(exp.get("attn_last_cls")))).isLessThan(1e-4);
            assertThat(Golden.relativeError(f.patchTokens().mean(new int[] {1}).toFloatArray(),
                    Golden.flat(exp.get("patch_mean_final")))).isLessThan(1e-4);
        }
    }

    @Test
    void dinov2WithRegistersInTransformersLayoutMatchesOriginalCode() throws Exception {
        Map<String, Tensor> t = toTransformers(read(Golden.dir("dinov2_orig_tiny_reg")), "");
        Path dir = writeModel("hf_reg", """
                {"model_type": "dinov2_with_registers", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
                 "mlp_ratio": 4, "image_size": 70, "patch_size": 14, "num_register_tokens": 4, "layer_norm_eps": 1e-6,
                 "qkv_bias": true, "layerscale_value": 1.0, "use_swiglu_ffn": false, "hidden_act": "gelu"}
                """, t);
        assertMatchesGolden(dir, "dinov2_orig_tiny_reg");
    }

    @Test
    void dinov2RegistersInTimmLayoutMatchesOriginalCode() throws Exception {
        // timm folds the CLS position into cls_token, keeps only patch positions, names registers reg_token.
        Map<String, Tensor> src = read(Golden.dir("dinov2_orig_tiny_reg"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        Tensor pos = src.get("pos_embed");
        int d = 64;
        src.forEach((k, t) -> {
            switch (k) {
                case "cls_token" -> {
                    float[] c = t.data().clone();
                    for (int i = 0; i < d; i++) {
                        c[i] += pos.data()[i];
                    }
                    out.put("cls_token", new Tensor(t.shape(), c));
                }
                case "pos_embed" -> out.put("pos_embed", new Tensor(new long[] {1, pos.shape()[1] - 1, d},
                        Arrays.copyOfRange(pos.data(), d, pos.data().length)));
                case "register_tokens" -> out.put("reg_token", t);
                case "mask_token" -> { }
                default -> out.put(k, t);
            }
        });
        Path dir = writeModel("timm_reg", """
                {"architecture": "vit_small_patch14_reg4_dinov2", "num_classes": 0,
                 "model_args": {"img_size": 70, "embed_dim": 64, "depth": 4, "num_heads": 4},
                 "pretrained_cfg": {"input_size": [3, 70, 70], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}}
                """, out);
        assertMatchesGolden(dir, "dinov2_orig_tiny_reg");
    }

    @Test
    void dinov2TransformersCheckpointInOriginalLayoutMatches() throws Exception {
        // The reverse direction: transformers names → original names, via our own converter's view.
        Map<String, Tensor> hf = read(Golden.dir("dinov2_hf_small2"));
        Map<String, Tensor> orig = new LinkedHashMap<>();
        Map<String, Tensor[]> qkv = new LinkedHashMap<>();
        hf.forEach((k, t) -> {
            var target = dev.unmask.core.checkpoint.TransformersLayout.INSTANCE.toCanonical(k);
            if (target == dev.unmask.core.checkpoint.CheckpointLayout.IGNORED) {
                return;
            }
            if (target.parts() == 1) {
                orig.put(target.canonical(), t);
            } else {
                qkv.computeIfAbsent(target.canonical(), x -> new Tensor[3])[target.part()] = t;
            }
        });
        qkv.forEach((k, parts) -> {
            int n = parts[0].data().length;
            float[] all = new float[3 * n];
            long[] shape = parts[0].shape().clone();
            shape[0] *= 3;
            for (int i = 0; i < 3; i++) {
                System.arraycopy(parts[i].data(), 0, all, i * n, n);
            }
            orig.put(k, new Tensor(shape, all));
        });
        Path dir = writeModel("orig_s", """
                {"architecture": "dinov2_vits14", "num_classes": 0,
                 "model_args": {"img_size": 518, "patch_size": 14, "embed_dim": 384, "depth": 2, "num_heads": 6}}
                """, orig);
        assertMatchesGolden(dir, "dinov2_hf_small2");
    }

    @Test
    void dinoV1InTransformersVitLayoutMatchesOriginalCode() throws Exception {
        Map<String, Tensor> t = renameVitLayers(toTransformers(read(Golden.dir("dino_v1_tiny")), ""));
        Path dir = writeModel("hf_dino", """
                {"model_type": "vit", "hidden_size": 96, "num_hidden_layers": 3, "num_attention_heads": 3,
                 "intermediate_size": 384, "image_size": 224, "patch_size": 16, "qkv_bias": true, "layer_norm_eps": 1e-12}
                """, t);
        assertMatchesGolden(dir, "dino_v1_tiny");
    }

    @Test
    void maeInTransformersLayoutWithDecoderMatches() throws Exception {
        Map<String, Tensor> t = renameVitLayers(toTransformers(read(Golden.dir("mae_tiny")), "vit."));
        Path dir = writeModel("hf_mae", """
                {"model_type": "vit_mae", "hidden_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
                 "intermediate_size": 256, "image_size": 64, "patch_size": 16, "qkv_bias": true, "layer_norm_eps": 1e-12,
                 "decoder_hidden_size": 32, "decoder_num_hidden_layers": 1, "mask_ratio": 0.75}
                """, t);
        assertThat(t.keySet()).anyMatch(k -> k.startsWith("decoder."));
        assertMatchesGolden(dir, "mae_tiny");
    }

    @Test
    void halfPrecisionAndShardedCheckpointsLoad() throws Exception {
        // BF16 and F16 storage are widened in Java; results move only by the storage rounding.
        Map<String, Tensor> src = read(Golden.dir("dinov2_orig_tiny_reg"));
        Path config = Golden.dir("dinov2_orig_tiny_reg").resolve("config.json");
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            Map<String, Tensor> half = new LinkedHashMap<>();
            src.forEach((k, t) -> half.put(k, new Tensor(t.shape(), t.data(), dt)));
            Path dir = writeModel("half_" + dt, Files.readString(config), half);
            JsonNode exp = Golden.expected("dinov2_orig_tiny_reg");
            try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = ModelDirectory.open(dir).loadViT(m)) {
                int[][][] rgb = ImageTensor.readRgb(Golden.dir("dinov2_orig_tiny_reg").resolve("input.png"));
                NDArray x = m.create(ImageTensor.normalize(rgb, vit.config().mean(), vit.config().std()), new Shape(1, 3, 56, 56));
                double err = Golden.relativeError(vit.features(x, 1, false, false).clsFinal().toFloatArray(),
                        Golden.flat(exp.get("cls_final")));
                assertThat(err).as(dt.name()).isGreaterThan(1e-6).isLessThan(dt == DType.F16 ? 1e-2 : 5e-2);
            }
        }
        // Sharded: two files and an index, as the Hub stores large checkpoints.
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        Files.copy(config, dir.resolve("config.json"));
        Map<String, Tensor> a = new LinkedHashMap<>();
        Map<String, Tensor> b = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        int i = 0;
        for (Map.Entry<String, Tensor> e : src.entrySet()) {
            boolean first = i++ % 2 == 0;
            (first ? a : b).put(e.getKey(), e.getValue());
            map.append(map.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"")
                    .append(first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors").append('"');
        }
        SafeTensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), a, null);
        SafeTensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), b, null);
        AtomicFiles.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        assertMatchesGolden(dir, "dinov2_orig_tiny_reg");
    }

    @Test
    void clipInTimmLayoutMatchesOpenAiCode() throws Exception {
        // timm's CLIP tower: one packed qkv, norm_pre for ln_pre, CLS and positions with leading axes.
        Map<String, Tensor> hf = read(Golden.dir("clip_hf_vision"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        Pattern layer = Pattern.compile("^vision_model\\.encoder\\.layers\\.(\\d+)\\.(.+)$");
        Map<String, float[][]> qkv = new LinkedHashMap<>();
        hf.forEach((k, t) -> {
            Matcher m = layer.matcher(k);
            if (m.matches()) {
                String b = "blocks." + m.group(1) + ".";
                String r = m.group(2);
                String[] proj = {"self_attn.q_proj.", "self_attn.k_proj.", "self_attn.v_proj."};
                for (int i = 0; i < 3; i++) {
                    if (r.startsWith(proj[i])) {
                        qkv.computeIfAbsent(b + "attn.qkv." + r.substring(proj[i].length()), x -> new float[3][])[i] = t.data();
                        return;
                    }
                }
                out.put(b + r.replace("self_attn.out_proj.", "attn.proj.").replace("layer_norm1.", "norm1.").replace("layer_norm2.", "norm2."), t);
                return;
            }
            switch (k) {
                case "vision_model.embeddings.class_embedding" -> out.put("cls_token", new Tensor(new long[] {1, 1, t.shape()[0]}, t.data()));
                case "vision_model.embeddings.position_embedding.weight" ->
                        out.put("pos_embed", new Tensor(new long[] {1, t.shape()[0], t.shape()[1]}, t.data()));
                case "vision_model.embeddings.patch_embedding.weight" -> out.put("patch_embed.proj.weight", t);
                default -> out.put(k.replace("vision_model.pre_layrnorm.", "norm_pre.").replace("vision_model.post_layernorm.", "norm."), t);
            }
        });
        qkv.forEach((k, parts) -> {
            float[] all = new float[parts[0].length * 3];
            for (int i = 0; i < 3; i++) {
                System.arraycopy(parts[i], 0, all, i * parts[0].length, parts[0].length);
            }
            out.put(k, new Tensor(k.endsWith("weight") ? new long[] {3L * 64, 64} : new long[] {3L * 64}, all));
        });
        Path dir = writeModel("timm_clip", """
                {"architecture": "vit_base_patch16_clip_quickgelu_224", "num_classes": 0,
                 "model_args": {"img_size": 64, "embed_dim": 64, "depth": 2, "num_heads": 4},
                 "pretrained_cfg": {"input_size": [3, 64, 64], "mean": [0.48145466, 0.4578275, 0.40821073],
                                    "std": [0.26862954, 0.26130258, 0.27577711]}}
                """, out);
        assertMatchesGolden(dir, "clip_hf_vision");
        // Exact GELU under a plain *_clip_* name is timm's other CLIP numerics, and far from OpenAI's.
        AtomicFiles.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("_quickgelu", ""));
        assertThat(ModelDirectory.open(dir).vitSpec().config().activation()).isEqualTo(dev.unmask.core.vit.layers.Mlp.Activation.GELU);
    }

    @Test
    void aShortClipConfigTakesTheDefaultsAndAWholeClipModelIgnoresItsTextTower() throws Exception {
        // The text tower and logit scale must be passed over; a short vision_config omits
        // hidden_act, layer_norm_eps and num_channels (quick_gelu, 1e-5, 3).
        Map<String, Tensor> t = read(Golden.dir("clip_hf_full"));
        assertThat(t.keySet()).anyMatch(k -> k.startsWith("text_model.")).contains("logit_scale", "text_projection.weight");
        Path dir = writeModel("clip_short", """
                {"model_type": "clip", "projection_dim": 48,
                 "vision_config": {"hidden_size": 96, "image_size": 96, "intermediate_size": 384, "num_attention_heads": 3,
                                   "num_hidden_layers": 3, "patch_size": 16}}
                """, t);
        ViTConfig c = ModelDirectory.open(dir).vitSpec().config();
        assertThat(c.activation()).isEqualTo(dev.unmask.core.vit.layers.Mlp.Activation.QUICK_GELU);
        assertThat(c.normEps()).isEqualTo(1e-5f);
        assertThat(c.projectionDim()).isEqualTo(48);
        // Without a preprocessor_config.json, OpenAI CLIP's statistics; with one, its own.
        assertThat(c.mean()).containsExactly(ViTConfigs.CLIP_MEAN);
        Files.copy(Golden.dir("clip_hf_full").resolve("preprocessor_config.json"), dir.resolve("preprocessor_config.json"));
        assertMatchesGolden(dir, "clip_hf_full");
        AtomicFiles.writeString(dir.resolve("preprocessor_config.json"), "{\"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5]}");
        assertThat(ModelDirectory.open(dir).vitSpec().config().std()).containsExactly(0.5f, 0.5f, 0.5f);
    }

    @Test
    void dinov3ResearchCheckpointInTransformersLayoutComputesItsRopePeriods() throws Exception {
        // transformers drops the key bias (nonzero in the research file, masked there), the bias
        // mask and the stored periods; its periods are recomputed in float32. The reference's
        // alt_recomputed_fp32_periods outputs are the official code run with exactly those periods.
        Map<String, Tensor> src = read(Golden.dir("dinov3_orig_rect"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        int d = 64;
        src.forEach((k, t) -> {
            Matcher m = BLOCK.matcher(k);
            if (m.matches()) {
                String l = "layer." + m.group(1) + ".";
                String r = m.group(2);
                if (r.equals("attn.qkv.bias_mask")) {
                    return;
                }
                if (r.startsWith("attn.qkv.")) {
                    String param = r.substring("attn.qkv.".length());
                    int cols = t.data().length / (3 * d);
                    String[] names = {"q_proj", "k_proj", "v_proj"};
                    for (int i = 0; i < 3; i++) {
                        if (i == 1 && param.equals("bias")) {
                            continue;
                        }
                        long[] shape = t.shape().clone();
                        shape[0] = d;
                        out.put(l + "attention." + names[i] + "." + param, new Tensor(shape, Arrays.copyOfRange(t.data(), i * d * cols, (i + 1) * d * cols)));
                    }
                    return;
                }
                out.put(l + r.replace("attn.proj.", "attention.o_proj.").replace("ls1.gamma", "layer_scale1.lambda1")
                        .replace("ls2.gamma", "layer_scale2.lambda1").replace("mlp.fc1.", "mlp.up_proj.").replace("mlp.fc2.", "mlp.down_proj."), t);
                return;
            }
            switch (k) {
                case "cls_token" -> out.put("embeddings.cls_token", t);
                case "storage_tokens" -> out.put("embeddings.register_tokens", t);
                case "mask_token" -> out.put("embeddings.mask_token", new Tensor(new long[] {1, 1, d}, t.data()));
                case "patch_embed.proj.weight" -> out.put("embeddings.patch_embeddings.weight", t);
                case "patch_embed.proj.bias" -> out.put("embeddings.patch_embeddings.bias", t);
                case "rope_embed.periods" -> { }
                default -> out.put(k, t);
            }
        });
        Path dir = writeModel("hf_dinov3", """
                {"model_type": "dinov3_vit", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "intermediate_size": 256, "image_size": 64, "patch_size": 16, "num_register_tokens": 4, "layer_norm_eps": 1e-5,
                 "layerscale_value": 1e-5, "use_gated_mlp": false, "hidden_act": "gelu", "key_bias": false, "rope_theta": 100.0}
                """, out);
        JsonNode alt = Golden.expected("dinov3_orig_rect").get("alt_recomputed_fp32_periods");
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = ModelDirectory.open(dir).loadViT(m)) {
            int[][][] rgb = ImageTensor.readRgb(Golden.dir("dinov3_orig_rect").resolve("input.png"));
            NDArray x = m.create(ImageTensor.normalize(rgb, vit.config().mean(), vit.config().std()), new Shape(1, 3, 64, 96));
            ViTFeatures f = vit.features(x, 1, false, false);
            assertThat(Golden.relativeError(f.clsFinal().toFloatArray(), Golden.flat(alt.get("cls_final")))).isLessThan(1e-4);
            assertThat(Golden.relativeError(f.patchTokens().mean(new int[] {1}).toFloatArray(), Golden.flat(alt.get("patch_mean_final"))))
                    .isLessThan(1e-4);
            // ... and the stored (bfloat16-rounded) periods are what make the research form differ.
            assertThat(Golden.relativeError(f.clsFinal().toFloatArray(), Golden.flat(Golden.expected("dinov3_orig_rect").get("cls_final"))))
                    .isGreaterThan(1e-4);
        }
    }

    @Test
    void dinov3ResearchCheckpointInTimmLayoutComputesItsRopePeriods() throws Exception {
        // timm's Eva port: q_bias and v_bias apart (the key bias has no tensor), gamma_1/2,
        // reg_token, periods recomputed in float32 as transformers does.
        Map<String, Tensor> src = read(Golden.dir("dinov3_orig_rect"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        int d = 64;
        src.forEach((k, t) -> {
            Matcher m = BLOCK.matcher(k);
            if (m.matches()) {
                String b = "blocks." + m.group(1) + ".";
                switch (m.group(2)) {
                    case "attn.qkv.bias_mask" -> { }
                    case "attn.qkv.bias" -> {
                        out.put(b + "attn.q_bias", new Tensor(new long[] {d}, Arrays.copyOfRange(t.data(), 0, d)));
                        out.put(b + "attn.v_bias", new Tensor(new long[] {d}, Arrays.copyOfRange(t.data(), 2 * d, 3 * d)));
                    }
                    case "ls1.gamma" -> out.put(b + "gamma_1", t);
                    case "ls2.gamma" -> out.put(b + "gamma_2", t);
                    default -> out.put(k, t);
                }
                return;
            }
            switch (k) {
                case "storage_tokens" -> out.put("reg_token", t);
                case "mask_token", "rope_embed.periods" -> { }
                default -> out.put(k, t);
            }
        });
        Path dir = writeModel("timm_dinov3", """
                {"architecture": "vit_small_patch16_dinov3_qkvb", "num_classes": 0,
                 "model_args": {"img_size": 64, "embed_dim": 64, "depth": 2, "num_heads": 4},
                 "pretrained_cfg": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}}
                """, out);
        JsonNode alt = Golden.expected("dinov3_orig_rect").get("alt_recomputed_fp32_periods");
        try (NDManager m = NDManager.newBaseManager(); VisionTransformer vit = ModelDirectory.open(dir).loadViT(m)) {
            int[][][] rgb = ImageTensor.readRgb(Golden.dir("dinov3_orig_rect").resolve("input.png"));
            NDArray x = m.create(ImageTensor.normalize(rgb, vit.config().mean(), vit.config().std()), new Shape(1, 3, 64, 96));
            ViTFeatures f = vit.features(x, 1, false, false);
            assertThat(Golden.relativeError(f.clsFinal().toFloatArray(), Golden.flat(alt.get("cls_final")))).isLessThan(1e-4);
            assertThat(Golden.relativeError(f.patchTokens().mean(new int[] {1}).toFloatArray(), Golden.flat(alt.get("patch_mean_final"))))
                    .isLessThan(1e-4);
        }
    }
}
