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
}
