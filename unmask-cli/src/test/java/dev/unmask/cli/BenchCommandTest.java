package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The benchmark commands run end to end and report consistent figures (they time nothing here). */
class BenchCommandTest {

    @Test
    void reportsThroughputFlopsAndProfileAsJson() throws Exception {
        CliRun r = CliRun.of("bench", "forward", "--backbone", "dinov2_vits14", "--batch", "1,2", "--size", "56", "--seconds", "0", "--profile", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("ceiling_gflops").asDouble()).isPositive();
        JsonNode rows = j.get("results");
        assertThat(rows).hasSize(2);
        for (JsonNode row : rows) {
            assertThat(row.get("model").asText()).isEqualTo("dinov2_vits14");
            double ips = row.get("images_per_s").asDouble();
            assertThat(ips).isPositive();
            // GFLOP/s must be images/s × the analytic FLOPs of ViT-S/14 at 56×56 (17 tokens).
            assertThat(row.get("gflops").asDouble()).isCloseTo(ips * row.get("gflop_per_image").asDouble(),
                    org.assertj.core.data.Percentage.withPercentage(1e-6));
            // By hand: 17 tokens, D 384, MLP 1536; per block 2·17·384·1152 + 2·17·384² + 4·17²·384 + 4·17·384·1536,
            // times 12 blocks, plus the patch embedding 2·16·384·588: 0.7345 GFLOP.
            assertThat(row.get("gflop_per_image").asDouble()).isCloseTo(0.7345, org.assertj.core.data.Offset.offset(0.001));
            assertThat(row.get("profile")).hasSizeGreaterThan(8);
        }
    }

    @Test
    void convNetsRunWithRandomWeightsOfTheRealSize() throws Exception {
        CliRun r = CliRun.of("bench", "forward", "--backbone", "efficientnet_b0@64,xception@71", "--batch", "1", "--seconds", "0", "--profile", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out()).get("results");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("model").asText()).isEqualTo("efficientnet_b0");
        assertThat(rows.get(0).get("size").asInt()).isEqualTo(64);
        // EfficientNet-B0 is 0.39 GFLOPs (multiply-adds) at 224; FLOPs scale with the area.
        assertThat(rows.get(0).get("gflop_per_image").asDouble()).isCloseTo(2 * 0.39 * 64 * 64 / (224.0 * 224),
                org.assertj.core.data.Percentage.withPercentage(5));
        assertThat(rows.get(1).get("images_per_s").asDouble()).isPositive();
        // The profile covers the stem, every stage (7 for B0, 12 for Xception) and the head, in order.
        assertThat(rows.get(0).get("profile")).hasSize(1 + 7 + 1);
        assertThat(rows.get(1).get("profile")).hasSize(1 + 12 + 1);
        assertThat(rows.get(0).get("profile").get(0).get("part").asText()).isEqualTo("stem");
        double shares = 0;
        for (JsonNode p : rows.get(0).get("profile")) {
            shares += p.get("share").asDouble();
        }
        assertThat(shares).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        for (String[] args : new String[][] {{"bench", "forward", "--size", "30"}, {"bench", "forward", "--backbone", "efficientnet_b0@abc"},
            {"bench", "forward", "--backbone", "dinov2_vits14@100"}, {"bench", "forward", "--backbone", "vit_huge"},
            {"bench", "forward", "--batch", "0"},
            // The form from before the subcommands goes the same way.
            {"bench", "--size", "30"}, {"bench", "--models", "effb0@abc"}, {"bench", "--models", "vits14@100"}, {"bench", "--models", "vit_huge"},
            {"bench", "--batch", "0"}}) {
            CliRun r = CliRun.of(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.errLines()).isEqualTo(1);
        }
    }

    /**
     * A tiny training benchmark (ViT-S/14 at 56 px, 16 images): every figure is a positive
     * time, the derived ones follow from them, and an epoch of the probe from its feature cache
     * is far cheaper than one that runs the backbone over every image again (about 20× here; 3× is
     * asked so that a loaded machine does not fail it).
     */
    @Test
    void trainBenchTimesEpochsWithAndWithoutTheCaches() throws Exception {
        CliRun r = CliRun.of("bench", "train", "--backbone", "dinov2_vits14", "--size", "56", "--images", "16", "--blocks", "1,2", "--epochs", "2",
                "--batch", "8", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        // Every image is distinct content, so the fill runs the backbone on all 16 + 4.
        assertThat(r.err()).contains("computing features/cls/4 for 20 images", "computing prefix/11 for 20 images");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("model").asText()).isEqualTo("dinov2_vits14");
        assertThat(j.get("size").asInt()).isEqualTo(56);
        assertThat(j.get("train_images").asInt()).isEqualTo(16);
        assertThat(j.get("val_images").asInt()).isEqualTo(4);
        JsonNode rows = j.get("results");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).get("approach").asText()).isEqualTo("probe");
        assertThat(rows.get(0).get("features").asText()).isEqualTo("cls_concat_4");
        assertThat(rows.get(0).get("frozen_blocks").asInt()).isEqualTo(12);
        for (int i = 1; i <= 2; i++) {
            assertThat(rows.get(i).get("approach").asText()).isEqualTo("finetune");
            assertThat(rows.get(i).get("blocks").asInt()).isEqualTo(i);
            assertThat(rows.get(i).get("frozen_blocks").asInt()).isEqualTo(12 - i);
        }
        for (JsonNode row : rows) {
            assertThat(row.get("batch").asInt()).isEqualTo(8);
            assertThat(row.get("cached_epochs_s")).hasSize(2);
            assertThat(row.get("recomputed_epochs_s")).hasSize(2);
            for (String k : new String[] {"cached_epochs_s", "recomputed_epochs_s"}) {
                for (JsonNode s : row.get(k)) {
                    assertThat(s.asDouble()).as(k).isPositive().isFinite();
                }
            }
            double fill = row.get("cache_fill_s").asDouble();
            double cached = row.get("cached_epoch_s").asDouble();
            double recomputed = row.get("recomputed_epoch_s").asDouble();
            assertThat(fill).isPositive().isFinite();
            assertThat(cached).isEqualTo((row.get("cached_epochs_s").get(0).asDouble() + row.get("cached_epochs_s").get(1).asDouble()) / 2);
            assertThat(row.get("first_epoch_s").asDouble()).isCloseTo(fill + row.get("cached_epochs_s").get(0).asDouble(),
                    org.assertj.core.data.Offset.offset(1e-12));
            assertThat(row.get("speedup").asDouble()).isCloseTo(recomputed / cached, org.assertj.core.data.Percentage.withPercentage(1e-9));
            // Process CPU time ticks in 10 ms, more than a tiny cached epoch may take.
            for (String k : new String[] {"cached_epochs_cpu_s", "recomputed_epochs_cpu_s"}) {
                assertThat(row.get(k)).hasSize(2);
                for (JsonNode s : row.get(k)) {
                    assertThat(s.asDouble()).as(k).isNotNegative().isFinite();
                }
            }
            assertThat(row.get("speedup_cpu").isNull() || row.get("speedup_cpu").asDouble() > 0).as("speedup_cpu").isTrue();
        }
        JsonNode probe = rows.get(0);
        assertThat(probe.get("cached_epoch_s").asDouble()).isLessThan(probe.get("recomputed_epoch_s").asDouble() / 3);
        assertThat(probe.get("recomputed_epochs_cpu_s").get(0).asDouble()).isPositive();
        assertThat(probe.get("later_over_first").asDouble()).isLessThan(1);
        assertThat(probe.get("meets_target").isBoolean()).isTrue();
        assertThat(rows.get(1).get("target").asText()).isEqualTo("speedup >= 4");
        assertThat(rows.get(2).has("target")).isFalse();
    }

    /**
     * The same benchmark on a ConvNet (EfficientNet-B0 at 64 px, 8 images, one epoch each way):
     * the probe reads pooled features, finetune trains the last k units counted from conv_head,
     * and every time is a finite positive number.
     */
    @Test
    void trainBenchTimesAConvNetByUnits() throws Exception {
        CliRun r = CliRun.of("bench", "train", "--backbone", "efficientnet_b0@64", "--images", "8", "--blocks", "1,2", "--epochs", "1", "--batch", "8",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        // B0 has 7 stages and conv_head: k = 1 caches the output of all 7 stages, k = 2 that of the first 6; 8 + 4 images each.
        assertThat(r.err()).contains("computing features/pooled/1 for 12 images", "computing prefix/convnet/7 for 12 images",
                "computing prefix/convnet/6 for 12 images");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("model").asText()).isEqualTo("efficientnet_b0");
        assertThat(j.get("size").asInt()).isEqualTo(64);
        assertThat(j.get("unit").asText()).contains("blocks.0", "blocks.6", "conv_head", "8 in all", "stem");
        JsonNode rows = j.get("results");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).get("approach").asText()).isEqualTo("probe");
        assertThat(rows.get(0).get("features").asText()).isEqualTo("pooled");
        assertThat(rows.get(0).get("frozen_blocks").asInt()).isEqualTo(8);
        assertThat(rows.get(0).get("trained_units")).isEmpty();
        assertThat(rows.get(1).get("trained_units").toString()).isEqualTo("[\"conv_head\"]");
        assertThat(rows.get(2).get("trained_units").toString()).isEqualTo("[\"blocks.6\",\"conv_head\"]");
        for (int i = 1; i <= 2; i++) {
            assertThat(rows.get(i).get("approach").asText()).isEqualTo("finetune");
            assertThat(rows.get(i).get("features").asText()).isEqualTo("pooled");
            assertThat(rows.get(i).get("frozen_blocks").asInt()).isEqualTo(8 - i);
            // The k = 1 target is reasoned from a ViT's equal blocks; a ConvNet's units are not.
            assertThat(rows.get(i).has("target")).isFalse();
        }
        for (JsonNode row : rows) {
            assertThat(row.get("batch").asInt()).isEqualTo(8);
            for (String k : new String[] {"cached_epochs_s", "recomputed_epochs_s"}) {
                assertThat(row.get(k)).hasSize(1);
                assertThat(row.get(k).get(0).asDouble()).as(k).isPositive().isFinite();
            }
            for (String k : new String[] {"cache_fill_s", "first_epoch_s", "cached_epoch_s", "recomputed_epoch_s", "speedup"}) {
                assertThat(row.get(k).asDouble()).as(k).isPositive().isFinite();
            }
            assertThat(row.get("speedup").asDouble()).isCloseTo(row.get("recomputed_epoch_s").asDouble() / row.get("cached_epoch_s").asDouble(),
                    org.assertj.core.data.Percentage.withPercentage(1e-9));
        }
    }

    /** Also the form from before the subcommands: {@code bench --train} is {@code bench train}. */
    @Test
    void trainBenchPrintsATable() {
        CliRun r = CliRun.of("bench", "--train", "--size", "28", "--images", "4", "--blocks", "3", "--epochs", "1", "--features", "cls_last");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("training dinov2_vits14 at 28 px: 4 train + 4 validation images, 1 epoch(s) each way");
        assertThat(r.out().lines().filter(l -> l.startsWith("probe cls_last ") || l.startsWith("finetune k=3 cls_last "))).hasSize(2);
    }

    @Test
    void trainBenchRefusesWhatItCannotMeasure() {
        for (String[] args : new String[][] {{"bench", "train", "--backbone", "resnet50"}, {"bench", "train", "--backbone", "efficientnet_b0", "--blocks", "9"},
            {"bench", "train", "--backbone", "efficientnet_b0", "--features", "cls_last"}, {"bench", "train", "--features", "pooled"},
            {"bench", "train", "--backbone", "xception@abc"}, {"bench", "train", "--blocks", "12"}, {"bench", "train", "--blocks", "0"},
            {"bench", "train", "--images", "1"}, {"bench", "train", "--epochs", "0"}, {"bench", "train", "--batch", "0"},
            {"bench", "train", "--features", "cls_nine"}, {"bench", "train", "--size", "100"},
            {"bench", "--train", "--models", "resnet50"}, {"bench", "--train", "--models", "effb0", "--blocks", "9"},
            {"bench", "--train", "--models", "effb0", "--features", "cls_last"}, {"bench", "--train", "--features", "pooled"},
            {"bench", "--train", "--models", "xception@abc"}, {"bench", "--train", "--blocks", "12"},
            {"bench", "--train", "--blocks", "0"}, {"bench", "--train", "--images", "1"}, {"bench", "--train", "--epochs", "0"},
            {"bench", "--train", "--batch", "8,16"}, {"bench", "--train", "--features", "cls_nine"}, {"bench", "--train", "--size", "100"},
            {"bench", "--train", "--models", "vits14,vitb14"}, {"bench", "--train", "--detect"}}) {
            CliRun r = CliRun.of(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.errLines()).as(String.join(" ", args)).isEqualTo(1);
        }
    }

    @Test
    void detectBenchSplitsTheTimeOfOneVideoIntoItsStages() throws Exception {
        dev.unmask.media.TestMedia.requireFfmpeg();
        dev.unmask.media.TestMedia.requireBlazeFaceModel();
        java.nio.file.Path video = dev.unmask.media.TestMedia.astronautMp4();
        CliRun r = CliRun.of("bench", "detect", "--video", video.toString(), "--frames", "4", "--repeat", "1", "--batch", "4", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("frames").asInt()).isEqualTo(4);
        assertThat(j.get("faces").asInt()).isEqualTo(4);
        for (String k : new String[] {"decode_sampling_s", "face_detection_ms_per_frame", "inference_s", "end_to_end_s"}) {
            assertThat(j.get(k).asDouble()).as(k).isPositive();
        }
        assertThat(j.get("sequential_sum_s").asDouble()).isCloseTo(j.get("decode_sampling_s").asDouble()
                + j.get("face_detection_ms_per_frame").asDouble() * 4 / 1e3 + j.get("inference_s").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(j.get("end_to_end_over_inference").asDouble()).isCloseTo(j.get("end_to_end_s").asDouble() / j.get("inference_s").asDouble(),
                org.assertj.core.data.Offset.offset(1e-9));
    }

    /** {@code bench --detect} reaches the detect benchmark's own checks (the run itself is timed above). */
    @Test
    void oldDetectFlagIsTheDetectSubcommand() {
        CliRun old = CliRun.of("bench", "--detect", "--repeat", "0");
        CliRun now = CliRun.of("bench", "detect", "--repeat", "0");
        assertThat(old.exitCode()).isEqualTo(2);
        assertThat(old.err()).isEqualTo(now.err()).isEqualTo("unmask: --repeat must be between 1 and 100\n");
        assertThat(CliRun.of("bench", "detect", "--batch", "0").err()).isEqualTo("unmask: --batch must be between 1 and 1024\n");
    }

    /** Plain {@code bench} is {@code bench forward}, and the old option and backbone names still work. */
    @Test
    void plainBenchWithOldNamesRunsTheForwardBenchmark() throws Exception {
        CliRun old = CliRun.of("bench", "--models", "vits14,effb0@32", "--size", "28", "--batch", "1", "--seconds", "0", "--json");
        assertThat(old.exitCode()).as(old.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(old.out()).get("results");
        assertThat(rows.findValuesAsText("model")).containsExactly("dinov2_vits14", "efficientnet_b0");
        assertThat(rows.findValuesAsText("size")).containsExactly("28", "32");
    }

    /** bench names its backbones as pull and train do: each is in the registry, of the right kind. */
    @Test
    void benchBackbonesAreRegistryNames() {
        var registry = dev.unmask.core.hub.BackboneRegistry.builtIn();
        for (String name : BenchBackbones.ALL) {
            assertThat(registry.find(name)).as(name).isPresent();
            assertThat(registry.find(name).get().kind()).as(name).isEqualTo(BenchBackbones.parse(name, 224).vit() ? "vit" : "convnet");
        }
        assertThat(BenchBackbones.OLD_NAMES.values()).allMatch(BenchBackbones.ALL::contains);
    }

    @Test
    void helpListsTheSubcommandsNotTheOldOptions() {
        CliRun r = CliRun.of("bench", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("  forward ", "  detect ", "  train ").doesNotContain("--models", "--detect", "--seconds");
        assertThat(CliRun.of("bench", "forward", "--help").out()).contains("--backbone=NAME[@SIDE]").doesNotContain("--models");
    }
}
