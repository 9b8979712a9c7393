package dev.unmask.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.checkpoint.SafeTensorsWriter;
import dev.unmask.core.vit.ViTConfig;
import dev.unmask.core.vit.VisionTransformer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random weights of a real architecture's size, for benchmarks and the built-in demo when
 * no pretrained weights are available offline. Initialisation follows the golden cases' recipe
 * (fan-in scaled normals, unit-ish norms) so activations stay in a realistic range.
 */
public final class RandomWeights {
    private RandomWeights() {}

    public static Map<String, float[]> vit(ViTConfig config, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : config.parameterShapes().entrySet()) {
            String name = e.getKey();
            long[] s = e.getValue();
            int n = 1;
            for (long d : s) {
                n = Math.multiplyExact(n, (int) d);
            }
            float[] v = new float[n];
            if (name.equals("rope.periods")) {
                // Not a learned weight: the periods the research code stores.
                out.put(name, dev.unmask.core.vit.layers.Rope.periods(config.ropeTheta(), config.headDim()));
                continue;
            }
            double fanIn = s.length >= 2 ? (double) n / s[0] : 1;
            for (int i = 0; i < n; i++) {
                double g = gaussian(rnd);
                if (name.endsWith("norm1.weight") || name.endsWith("norm2.weight") || name.equals("norm.weight") || name.equals("norm_pre.weight")) {
                    v[i] = (float) (1 + 0.1 * g);
                } else if (name.endsWith("gamma")) {
                    v[i] = (float) (0.5 + 0.2 * g);
                } else if (name.endsWith(".bias")) {
                    v[i] = (float) (0.02 * g);
                } else if (name.endsWith("_token") || name.equals("register_tokens") || name.equals("pos_embed")) {
                    v[i] = (float) (0.5 * g);
                } else {
                    v[i] = (float) (g / Math.sqrt(fanIn));
                }
            }
            out.put(name, v);
        }
        return out;
    }

    public static VisionTransformer vitModel(ViTConfig config, long seed, NDManager parent) {
        NDManager m = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        Map<String, long[]> shapes = config.parameterShapes();
        vit(config, seed).forEach((k, v) -> params.put(k, m.create(v, new Shape(shapes.get(k)))));
        return new VisionTransformer(config, m, params);
    }

    public static Map<String, SafeTensorsWriter.Tensor> asTensors(ViTConfig config, Map<String, float[]> weights) {
        Map<String, SafeTensorsWriter.Tensor> t = new LinkedHashMap<>();
        Map<String, long[]> shapes = config.parameterShapes();
        weights.forEach((k, v) -> t.put(k, new SafeTensorsWriter.Tensor(shapes.get(k), v)));
        return t;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
