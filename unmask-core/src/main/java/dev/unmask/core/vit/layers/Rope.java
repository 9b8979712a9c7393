package dev.unmask.core.vit.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.tensor.Tensors;

/**
 * DINOv3's axial rotary position embedding for one patch grid, applied to the queries and keys of
 * the patch tokens only (CLS and registers, the first {@code prefix} tokens, are not rotated).
 *
 * @param sin    [P, head_dim]
 * @param cos    [P, head_dim]
 * @param prefix tokens before the patches
 */
public record Rope(NDArray sin, NDArray cos, int prefix) {

    /**
     * The official code's table, computed in float32 as it does: patch centres {@code (i+0.5)/n}
     * per axis, each axis normalised by its own length ("separate": a non-square grid is
     * stretched), mapped to [−1, 1]; angle = 2π·c / period; [y-angles, x-angles] tiled twice.
     * The training-time coordinate shift, jitter and rescale are off at inference.
     */
    public static float[][] angles(int gh, int gw, float[] periods) {
        int q = periods.length;
        float[][] out = new float[gh * gw][4 * q];
        float twoPi = (float) (2 * Math.PI);
        for (int y = 0; y < gh; y++) {
            float cy = 2f * ((y + 0.5f) / gh) - 1f;
            for (int x = 0; x < gw; x++) {
                float cx = 2f * ((x + 0.5f) / gw) - 1f;
                float[] row = out[y * gw + x];
                for (int i = 0; i < q; i++) {
                    float ay = (twoPi * cy) / periods[i];
                    float ax = (twoPi * cx) / periods[i];
                    row[i] = ay;
                    row[q + i] = ax;
                    row[2 * q + i] = ay;
                    row[3 * q + i] = ax;
                }
            }
        }
        return out;
    }

    /** Periods {@code base^(4i/hd)}, i < hd/4, in float32 as transformers and timm compute them (none stored). */
    public static float[] periods(float base, int headDim) {
        float[] p = new float[headDim / 4];
        for (int i = 0; i < p.length; i++) {
            float exponent = (float) (2 * i) / (float) (headDim / 2);
            p[i] = (float) Math.pow(base, exponent);
        }
        return p;
    }

    /** The sin and cos tables of a grid, in {@code manager}. */
    public static Rope of(NDManager manager, int gh, int gw, float[] periods, int prefix) {
        float[][] a = angles(gh, gw, periods);
        int hd = a[0].length;
        float[] s = new float[a.length * hd];
        float[] c = new float[a.length * hd];
        for (int t = 0; t < a.length; t++) {
            for (int j = 0; j < hd; j++) {
                s[t * hd + j] = (float) Math.sin(a[t][j]);
                c[t * hd + j] = (float) Math.cos(a[t][j]);
            }
        }
        Shape shape = new Shape(a.length, hd);
        // Libtorch-owned: the cache that keeps them may close them while a graph still refers to them.
        return new Rope(Tensors.libtorchOwned(manager, s, shape), Tensors.libtorchOwned(manager, c, shape), prefix);
    }

    /** Rotates the patch rows of {@code u} [B, heads, T, hd]: u·cos + rot_half(u)·sin, pairing dims i and i + hd/2. */
    public NDArray apply(NDArray u) {
        NDArray head = u.get(new NDIndex(":, :, :{}, :", prefix));
        NDArray patches = u.get(new NDIndex(":, :, {}:, :", prefix));
        NDList halves = patches.split(2, 3);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        NDArray out = patches.mul(cos).add(rotated.mul(sin));
        return NDArrays.concat(new NDList(head, out), 2);
    }
}
