package dev.unmask.core.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.Golden;
import dev.unmask.core.UserError;
import dev.unmask.core.checkpoint.SafeTensors;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.model.FeatureVariant;
import dev.unmask.core.head.Head;
import dev.unmask.core.model.HeadInput;
import dev.unmask.core.head.HeadSpec;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.ModelDirectory;
import dev.unmask.core.vit.VisionTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectorFileTest {
    @TempDir
    Path dir;

    Path backbone() throws Exception {
        return Golden.copyModel("dinov2_orig_tiny_reg", dir.resolve("tiny_reg"));
    }

    /** A fine-tuned-looking detector: a cls_concat_4 head and a changed final norm. */
    Path writeDetector(Path backbone, NDManager m, float normShift) throws Exception {
        try (VisionTransformer vit = ModelDirectory.open(backbone).loadViT(m)) {
            HeadSpec spec = HeadSpec.linear(FeatureVariant.CLS_CONCAT_4, 4, 1, 64);
            Head head = Head.initialise(spec, 3, m);
            vit.parameters().get("norm.bias").addi(normShift);
            ObjectNode o = StrictJson.mapper().createObjectNode();
            o.put("format", Detector.FORMAT).put("version", Detector.VERSION).put("approach", "finetune");
            o.set("head", Detector.headJson(spec));
            ObjectNode bb = o.putObject("backbone");
            BackboneRef ref = BackboneRef.of(backbone);
            bb.put("name", ref.name()).put("path", ref.dir().toString()).put("sha256", ref.sha256());
            bb.putArray("changed_tensors").add("norm.bias");
            o.set("preprocessing", Detector.preprocessingJson(Preprocessing.forBackbone(vit.config().patchSize(), vit.config().mean(), vit.config().std(), 56)));
            o.put("threshold", 0.4);
            Path file = dir.resolve("d.unmask");
            Detector.write(file, o, head, Map.of("norm.bias", vit.parameters().get("norm.bias")));
            return file;
        }
    }

    @Test
    void aDetectorScoresAsItsHeadAndChangedWeightsDid() throws Exception {
        Path bb = backbone();
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = writeDetector(bb, m, 0.5f);
            NDArray images = m.randomNormal(new Shape(3, 3, 56, 56));
            float[] expected;
            try (VisionTransformer vit = ModelDirectory.open(bb).loadViT(m)) {
                vit.parameters().get("norm.bias").addi(0.5f);
                Map<String, float[]> headValues = new LinkedHashMap<>();
                try (SafeTensors st = SafeTensors.open(file)) {
                    headValues.put("head.weight", st.readFloats("head.head.weight"));
                    headValues.put("head.bias", st.readFloats("head.head.bias"));
                }
                Head head = Head.of(HeadSpec.linear(FeatureVariant.CLS_CONCAT_4, 4, 1, 64), headValues, m);
                expected = Head.fakeProbability(head.logits(HeadInput.extract(vit, images, FeatureVariant.CLS_CONCAT_4), null));
            }
            try (Detector d = Detector.load(file, null, m)) {
                assertThat(d.threshold()).isEqualTo(0.4);
                assertThat(d.preprocessing().size()).isEqualTo(56);
                assertThat(d.score(images)).containsExactly(expected);
            }
            // Only the changed tensor travels in the file, not the frozen backbone.
            try (SafeTensors st = SafeTensors.open(file)) {
                assertThat(st.tensors().keySet()).containsExactlyInAnyOrder("head.head.weight", "head.head.bias", "backbone.norm.bias");
            }
        }
    }

    @Test
    void anotherBackbonesBytesAreRefused() throws Exception {
        Path bb = backbone();
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = writeDetector(bb, m, 0f);
            Path other = dir.resolve("other");
            Files.createDirectories(other);
            Files.copy(bb.resolve("config.json"), other.resolve("config.json"));
            Map<String, SafeTensorsWriter.Tensor> t = new LinkedHashMap<>();
            try (SafeTensors st = SafeTensors.open(bb.resolve("model.safetensors"))) {
                for (var e : st.tensors().values()) {
                    float[] v = st.readFloats(e.name());
                    if (e.name().equals("norm.weight")) {
                        v[0] += 1e-3f;
                    }
                    t.put(e.name(), new SafeTensorsWriter.Tensor(e.shape(), v));
                }
            }
            SafeTensorsWriter.write(other.resolve("model.safetensors"), t, Map.of("format", "pt"));
            assertThatThrownBy(() -> Detector.load(file, other, m)).isInstanceOf(UserError.class)
                    .hasMessageContaining("SHA-256").hasMessageContaining("--backbone");
        }
    }

    @Test
    void untrustedFilesFailWithOneLine() throws Exception {
        Path bb = backbone();
        try (NDManager m = NDManager.newBaseManager()) {
            Path good = writeDetector(bb, m, 0f);
            Map<String, String> meta;
            Map<String, SafeTensorsWriter.Tensor> tensors = new LinkedHashMap<>();
            try (SafeTensors st = SafeTensors.open(good)) {
                meta = st.metadata();
                for (var e : st.tensors().values()) {
                    tensors.put(e.name(), new SafeTensorsWriter.Tensor(e.shape(), st.readFloats(e.name())));
                }
            }
            String manifest = meta.get(Detector.METADATA_KEY);
            record Bad(String why, Map<String, SafeTensorsWriter.Tensor> tensors, Map<String, String> meta, String message) {}
            Map<String, SafeTensorsWriter.Tensor> pathName = new LinkedHashMap<>(tensors);
            pathName.put("head.../../x", pathName.remove("head.head.bias"));
            Map<String, SafeTensorsWriter.Tensor> wrongShape = new LinkedHashMap<>(tensors);
            wrongShape.put("head.head.weight", new SafeTensorsWriter.Tensor(new long[] {2, 64}, new float[128]));
            Map<String, SafeTensorsWriter.Tensor> nan = new LinkedHashMap<>(tensors);
            nan.put("head.head.bias", new SafeTensorsWriter.Tensor(new long[] {2}, new float[] {Float.NaN, 0}));
            Map<String, SafeTensorsWriter.Tensor> unknown = new LinkedHashMap<>(tensors);
            unknown.put("backbone.blocks.9.norm1.weight", new SafeTensorsWriter.Tensor(new long[] {64}, new float[64]));
            for (Bad b : new Bad[] {
                new Bad("no manifest", tensors, Map.of("format", "pt"), "not an Unmask detector"),
                new Bad("not JSON", tensors, Map.of(Detector.METADATA_KEY, "{"), "invalid JSON"),
                new Bad("future version", tensors, Map.of(Detector.METADATA_KEY, manifest.replace("\"version\":1", "\"version\":9")), "version"),
                new Bad("threshold", tensors, Map.of(Detector.METADATA_KEY, manifest.replace("\"threshold\":0.4", "\"threshold\":7")), "threshold"),
                new Bad("path in a tensor name", pathName, meta, "not a detector tensor name"),
                new Bad("wrong head shape", wrongShape, meta, "does not belong"),
                new Bad("non-finite value", nan, meta, "non-finite"),
                new Bad("tensor the backbone lacks", unknown, meta, "does not belong"),
            }) {
                Path f = dir.resolve("bad.unmask");
                SafeTensorsWriter.write(f, b.tensors(), b.meta());
                assertThatThrownBy(() -> Detector.load(f, null, m)).as(b.why()).isInstanceOf(UserError.class)
                        .hasMessageContaining(b.message()).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            }
            assertThatThrownBy(() -> Detector.load(dir.resolve("none.unmask"), null, m)).isInstanceOf(UserError.class);
        }
    }
}
