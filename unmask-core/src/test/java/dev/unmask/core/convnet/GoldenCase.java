package dev.unmask.core.convnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.Golden;
import dev.unmask.core.io.StrictJson;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** One ConvNet folder of the golden cases: its config, its input as the reference normalised it, its outputs. */
final class GoldenCase {
    final Path dir;
    final JsonNode config;
    final JsonNode expected;
    /** The same reference computed in float64: how far float32 itself is from the truth. */
    final JsonNode expectedF64;

    GoldenCase(String name) {
        dir = Golden.dir(name);
        config = StrictJson.read(dir.resolve("config.json"));
        expected = StrictJson.read(dir.resolve("expected.json"));
        expectedF64 = StrictJson.read(dir.resolve("expected_f64.json"));
    }

    String architecture() {
        return config.get("architecture").asText();
    }

    /** input.png as (png/255 - mean)/std with pretrained_cfg's mean and std, checked against input_check. */
    NDArray input(NDManager manager) {
        BufferedImage img;
        try {
            img = ImageIO.read(dir.resolve("input.png").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode cfg = config.get("pretrained_cfg");
        int h = img.getHeight();
        int w = img.getWidth();
        float[] data = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                for (int c = 0; c < 3; c++) {
                    int v = (rgb >> (16 - 8 * c)) & 0xff;
                    float mean = (float) cfg.get("mean").get(c).asDouble();
                    float std = (float) cfg.get("std").get(c).asDouble();
                    data[(c * h + y) * w + x] = (v / 255f - mean) / std;
                }
            }
        }
        JsonNode check = expected.get("input_check");
        double sum = 0;
        for (float v : data) {
            sum += v;
        }
        assertThat(sum).as("input_check.sum").isCloseTo(check.get("sum").asDouble(), within(1e-3));
        for (int c = 0; c < 3; c++) {
            assertThat((double) data[c * h * w]).isCloseTo(check.get("first_pixel_chw").get(c).asDouble(), within(1e-6));
            assertThat((double) data[c * h * w + h * w - 1])
                    .isCloseTo(check.get("last_pixel_chw").get(c).asDouble(), within(1e-6));
        }
        return manager.create(data, new Shape(1, 3, h, w));
    }

    double[] vector(String key) {
        return vector(expected, key);
    }

    static double[] vector(JsonNode reference, String key) {
        List<Double> out = new ArrayList<>();
        flatten(reference.get(key), out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flatten(JsonNode n, List<Double> out) {
        if (n.isArray()) {
            n.forEach(e -> flatten(e, out));
        } else {
            out.add(n.asDouble());
        }
    }

    /** ‖a − b‖ / ‖b‖, with the reference as b. */
    static double relativeError(float[] actual, double[] reference) {
        assertThat(actual).hasSize(reference.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            diff += (actual[i] - reference[i]) * (actual[i] - reference[i]);
            norm += reference[i] * reference[i];
        }
        return Math.sqrt(diff / norm);
    }
}
