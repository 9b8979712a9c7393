package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hundreds of broken checkpoints and configs, generated from a valid model directory: each must
 * end in one line on stderr and exit code 2 — never a stack trace, a JVM abort or a result.
 */
class MalformedModelFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path source;
    static byte[] weights;
    static ObjectNode header;
    static byte[] data;
    static String config;
    static List<String> names;

    @BeforeAll
    static void readValidModel() throws Exception {
        source = FeaturesCommandTest.golden("dinov2_orig_tiny_reg");
        weights = Files.readAllBytes(source.resolve("model.safetensors"));
        long n = ByteBuffer.wrap(weights, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        header = (ObjectNode) JSON.readTree(new String(weights, 8, (int) n, StandardCharsets.UTF_8));
        data = Arrays.copyOfRange(weights, 8 + (int) n, weights.length);
        config = Files.readString(source.resolve("config.json"));
        names = new ArrayList<>();
        header.fieldNames().forEachRemaining(k -> {
            if (!k.equals("__metadata__")) {
                names.add(k);
            }
        });
    }

    record Case(String name, String config, byte[] weights) {}

    static byte[] assemble(String headerJson, byte[] body) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(body);
        return out.toByteArray();
    }

    static Case header(String name, Consumer<ObjectNode> edit) {
        ObjectNode h = header.deepCopy();
        edit.accept(h);
        return new Case(name, config, assemble(h.toString(), data));
    }

    static ObjectNode entry(ObjectNode h, String tensor) {
        return (ObjectNode) h.get(tensor);
    }

    static List<Case> cases() throws Exception {
        List<Case> c = new ArrayList<>();
        // Truncation anywhere: inside the length prefix, the header, the data.
        int headerEnd = weights.length - data.length;
        int[] cuts = {0, 1, 4, 7, 8, 9, 20, headerEnd / 2, headerEnd - 2, headerEnd - 1, headerEnd, headerEnd + 1,
            headerEnd + 100, weights.length / 2, weights.length - 1000, weights.length - 4, weights.length - 1};
        for (int cut : cuts) {
            c.add(new Case("truncated at " + cut, config, Arrays.copyOf(weights, cut)));
        }
        // Absurd or lying header lengths.
        long[] lengths = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, weights.length, weights.length - 7, 1L << 40,
            (long) Integer.MAX_VALUE + 1, 1, 2, 3, headerEnd - 9, headerEnd - 7};
        for (long len : lengths) {
            byte[] w = weights.clone();
            ByteBuffer.wrap(w, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(len);
            c.add(new Case("header length " + len, config, w));
        }
        // Headers that are not the JSON they should be.
        String[] bad = {"", " ", "[]", "42", "\"str\"", "null", "{", "{\"a\":}", "{} trailing", "{\"x\": 1, \"x\": 2}",
            "\u0000\u0001\u0002", "{\"__metadata__\": 5}", "{\"__metadata__\": {\"k\": 5}}", "[".repeat(5000),
            "{\"t\": []}", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"t\": {}}"};
        for (String b : bad) {
            c.add(new Case("header json " + b.substring(0, Math.min(b.length(), 20)), config, assemble(b, data)));
        }
        byte[] notUtf8 = assemble("{\"a\":\"\u00ff\"}", data);
        notUtf8[12] = (byte) 0xC3;
        notUtf8[13] = (byte) 0x28;
        c.add(new Case("header invalid utf-8", config, notUtf8));
        // Per-tensor lies, applied to several tensors (first, a middle one, the last one).
        List<String> victims = List.of(names.get(0), names.get(names.size() / 2), names.get(names.size() - 1),
                names.get(names.size() / 3), names.get(2 * names.size() / 3));
        for (String t : victims) {
            c.add(header("unknown dtype " + t, h -> entry(h, t).put("dtype", "Q4_K")));
            c.add(header("F8 dtype " + t, h -> entry(h, t).put("dtype", "F8_E4M3")));
            c.add(header("integer dtype " + t, h -> entry(h, t).put("dtype", "I32")));
            c.add(header("numeric dtype " + t, h -> entry(h, t).put("dtype", 7)));
            c.add(header("no dtype " + t, h -> entry(h, t).remove("dtype")));
            c.add(header("shape string " + t, h -> entry(h, t).put("shape", "[2,3]")));
            c.add(header("shape negative " + t, h -> entry(h, t).putArray("shape").add(-4)));
            c.add(header("shape float " + t, h -> entry(h, t).putArray("shape").add(1.5)));
            c.add(header("shape huge " + t, h -> entry(h, t).putArray("shape").add(1L << 40).add(1L << 40)));
            c.add(header("shape 9 dims " + t, h -> {
                ArrayNode a = entry(h, t).putArray("shape");
                for (int i = 0; i < 9; i++) {
                    a.add(1);
                }
            }));
            c.add(header("shape wrong size " + t, h -> ((ArrayNode) entry(h, t).get("shape")).add(2)));
            c.add(header("no shape " + t, h -> entry(h, t).remove("shape")));
            c.add(header("no offsets " + t, h -> entry(h, t).remove("data_offsets")));
            c.add(header("offsets 3 " + t, h -> ((ArrayNode) entry(h, t).get("data_offsets")).add(0)));
            c.add(header("offsets negative " + t, h -> ((ArrayNode) entry(h, t).get("data_offsets")).set(0, -8)));
            c.add(header("offsets reversed " + t, h -> {
                ArrayNode o = (ArrayNode) entry(h, t).get("data_offsets");
                long a = o.get(0).asLong();
                long b = o.get(1).asLong();
                o.set(0, b);
                o.set(1, a);
            }));
            c.add(header("offsets beyond end " + t, h -> {
                ArrayNode o = (ArrayNode) entry(h, t).get("data_offsets");
                long len = o.get(1).asLong() - o.get(0).asLong();
                o.set(0, data.length - len + 4);
                o.set(1, data.length + 4);
            }));
            c.add(header("offsets overflow " + t, h -> {
                ArrayNode o = (ArrayNode) entry(h, t).get("data_offsets");
                o.set(0, Long.MAX_VALUE - 4);
                o.set(1, Long.MAX_VALUE);
            }));
            c.add(header("offsets text " + t, h -> ((ArrayNode) entry(h, t).get("data_offsets")).set(0, "0")));
            c.add(header("extra field " + t, h -> entry(h, t).put("stride", 1)));
            c.add(header("entry not object " + t, h -> h.put(t, 3)));
            c.add(header("overlap " + t, h -> {
                String other = names.get((names.indexOf(t) + 1) % names.size());
                ObjectNode a = entry(h, t);
                ObjectNode b = entry(h, other);
                long la = a.get("data_offsets").get(1).asLong() - a.get("data_offsets").get(0).asLong();
                long start = b.get("data_offsets").get(0).asLong();
                if (start + la > data.length) {
                    start = data.length - la;
                }
                ((ArrayNode) a.get("data_offsets")).set(0, start);
                ((ArrayNode) a.get("data_offsets")).set(1, start + la);
            }));
            c.add(header("missing tensor " + t, h -> h.remove(t)));
            c.add(header("renamed tensor " + t, h -> {
                JsonNode e = h.remove(t);
                h.set(t + ".renamed", e);
            }));
            c.add(header("transposed shape " + t, h -> {
                ArrayNode s = (ArrayNode) entry(h, t).get("shape");
                long total = 1;
                for (JsonNode d : s) {
                    total *= d.asLong();
                }
                ArrayNode n = entry(h, t).putArray("shape");
                if (s.size() == 1 || s.get(0).asLong() == total) {
                    n.add(1).add(total);
                } else {
                    n.add(total);
                }
            }));
            c.add(header("empty name " + t, h -> {
                JsonNode e = h.remove(t);
                h.set("", e);
            }));
        }
        // An extra tensor the architecture does not have, and a half-precision mismatch.
        c.add(header("unexpected tensor", h -> {
            ObjectNode e = h.putObject("blocks.9.attn.qkv.weight");
            e.put("dtype", "F32");
            e.putArray("shape").add(0);
            e.putArray("data_offsets").add(data.length).add(data.length);
        }));
        // NaN and infinity inside the weights.
        for (int k = 0; k < 3; k++) {
            byte[] w = weights.clone();
            int at = headerEnd + k * (data.length / 3) / 4 * 4;
            ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, k == 1 ? Float.POSITIVE_INFINITY : Float.NaN);
            c.add(new Case("non-finite weight " + k, config, w));
        }
        // Configs: bad JSON, wrong types, unsupported families, impossible values.
        String[] configs = {"", "{", "[]", "null", "3", "{\"architecture\": \"dinov2_vits14_reg\", \"architecture\": \"x\"}",
            "{}", "{\"model_type\": \"bert\"}", "{\"model_type\": 5}", "{\"architecture\": \"resnet50\"}",
            "{\"architecture\": 7}", "{\"architecture\": \"vit_giant_patch14_clip_224\"}",
            "{\"architecture\": \"dinov2_vits14_reg\", \"model_args\": []}",
            "{\"architecture\": \"dinov2_vits14_reg\", \"model_args\": \"x\"}",
            "{\"architecture\": \"dinov2_vits14_reg\", \"pretrained_cfg\": 1}",
            "{\"model_type\": \"dinov2\", \"hidden_size\": \"big\"}",
            "{\"model_type\": \"dinov2\", \"hidden_size\": -3}",
            "{\"model_type\": \"dinov2\", \"hidden_size\": 1e400}",
            "{\"model_type\": \"dinov2\", \"patch_size\": 0}",
            "{\"model_type\": \"dinov2\", \"image_size\": 0}",
            "{\"model_type\": \"dinov2\", \"num_attention_heads\": 0}",
            "{\"model_type\": \"dinov2\", \"num_attention_heads\": 5}",
            "{\"model_type\": \"dinov2\", \"num_hidden_layers\": 0}",
            "{\"model_type\": \"dinov2\", \"num_hidden_layers\": 100000}",
            "{\"model_type\": \"dinov2\", \"mlp_ratio\": -1}",
            "{\"model_type\": \"dinov2\", \"mlp_ratio\": 1e6}",
            "{\"model_type\": \"dinov2\", \"layer_norm_eps\": 0}",
            "{\"model_type\": \"dinov2\", \"qkv_bias\": \"yes\"}",
            "{\"model_type\": \"dinov2\", \"use_swiglu_ffn\": 1}",
            "{\"model_type\": \"dinov2\", \"hidden_act\": \"quick_gelu\"}",
            "{\"model_type\": \"dinov2\"}",
            "{\"model_type\": \"vit_mae\"}",
            "{\"model_type\": \"vit\", \"hidden_size\": 64, \"num_attention_heads\": 4}",
        };
        for (String cfg : configs) {
            c.add(new Case("config " + cfg, cfg, weights));
        }
        String[] argEdits = {"\"img_size\": 0", "\"img_size\": [70, 56]", "\"img_size\": \"70\"", "\"patch_size\": 0",
            "\"patch_size\": 100", "\"embed_dim\": 65", "\"embed_dim\": 0", "\"depth\": 3", "\"depth\": 5", "\"depth\": -1",
            "\"num_heads\": 3", "\"num_heads\": 0", "\"mlp_ratio\": 2", "\"num_register_tokens\": 2",
            "\"num_register_tokens\": 0", "\"ffn_layer\": \"moe\"", "\"ffn_layer\": \"swiglufused\"", "\"init_values\": 0",
            "\"qkv_bias\": false", "\"proj_bias\": false", "\"in_chans\": 1", "\"interpolate_offset\": -1",
            "\"img_size\": 1000000", "\"embed_dim\": 100000"};
        for (String edit : argEdits) {
            c.add(new Case("model_args " + edit, editConfig("model_args", edit), weights));
        }
        String[] cfgEdits = {"\"mean\": [0.5, 0.5]", "\"mean\": \"imagenet\"", "\"std\": [0, 1, 1]", "\"std\": [1, 1, -1]",
            "\"input_size\": [3, 0, 0]", "\"input_size\": 224"};
        for (String edit : cfgEdits) {
            c.add(new Case("pretrained_cfg " + edit, editConfig("pretrained_cfg", edit), weights));
        }
        return c;
    }

    /** The valid config with one field of {@code section} replaced by {@code "key": value}. */
    static String editConfig(String section, String edit) throws Exception {
        ObjectNode cfg = (ObjectNode) JSON.readTree(config);
        JsonNode value = JSON.readTree("{" + edit + "}");
        ((ObjectNode) cfg.get(section)).setAll((ObjectNode) value);
        return cfg.toString();
    }

    @TestFactory
    Stream<DynamicTest> everyMalformedFileIsAOneLineErrorWithExitCode2() throws Exception {
        List<Case> all = cases();
        assertThat(all.size()).isGreaterThanOrEqualTo(200);
        Path img = source.resolve("input.png");
        Iterator<Case> it = all.iterator();
        List<DynamicTest> tests = new ArrayList<>();
        int i = 0;
        while (it.hasNext()) {
            Case k = it.next();
            int id = i++;
            tests.add(DynamicTest.dynamicTest(k.name(), () -> {
                Path dir = tmp.resolve("case" + id);
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("config.json"), k.config());
                Files.write(dir.resolve("model.safetensors"), k.weights());
                CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", img.toString(), "--json");
                assertThat(r.exitCode()).as("%s: %s", k.name(), r.err()).isEqualTo(2);
                assertThat(r.errLines()).as(r.err()).isEqualTo(1);
                assertThat(r.err()).startsWith("unmask: ").doesNotContain("Exception").doesNotContain("\tat ");
                assertThat(r.out()).isEmpty();
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> directoriesWithoutUsableWeightsAreRefused() {
        return Stream.of(
                DynamicTest.dynamicTest("pickle only", () -> {
                    Path dir = tmp.resolve("pickle");
                    Files.createDirectories(dir);
                    Files.writeString(dir.resolve("config.json"), config);
                    Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'c', 'o', 's'});
                    CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", source.resolve("input.png").toString());
                    assertThat(r.exitCode()).isEqualTo(2);
                    assertThat(r.err()).contains("pickle").contains("safetensors").contains("pytorch_model.bin");
                    assertThat(r.errLines()).isEqualTo(1);
                }),
                DynamicTest.dynamicTest("no config", () -> {
                    Path dir = tmp.resolve("noconfig");
                    Files.createDirectories(dir);
                    Files.write(dir.resolve("model.safetensors"), weights);
                    CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", source.resolve("input.png").toString());
                    assertThat(r.exitCode()).isEqualTo(2);
                    assertThat(r.err()).contains("config.json");
                }),
                DynamicTest.dynamicTest("sharded index pointing outside", () -> {
                    Path dir = tmp.resolve("escape");
                    Files.createDirectories(dir);
                    Files.writeString(dir.resolve("config.json"), config);
                    Files.writeString(dir.resolve("model.safetensors.index.json"),
                            "{\"weight_map\": {\"cls_token\": \"../../etc/passwd\"}}");
                    CliRun r = CliRun.of("features", "--model", dir.toString(), "--image", source.resolve("input.png").toString());
                    assertThat(r.exitCode()).isEqualTo(2);
                    assertThat(r.err()).contains("plain file name");
                }));
    }
}
