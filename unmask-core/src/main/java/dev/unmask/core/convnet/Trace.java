package dev.unmask.core.convnet;

/**
 * Follows one image through a network's layers without running it: the spatial size, the
 * multiply-adds, and where each cell of the current map is centred in the input. Output cell
 * {@code i} of a kxk conv with stride s and leading padding p is centred on input pixel
 * {@code s*i - p + (k-1)/2}; composed over the network, final cell {@code j} sits at
 * {@code offset + stride*j}. The offset is not the naive {@code stride/2 - 0.5}: PyTorch-style
 * padding centres EfficientNet's cell 0 on pixel 0, TF "SAME" (on sizes divisible by 32) on
 * pixel 31, so a heat map resized naively is shifted by half a cell one way or the other.
 */
final class Trace {
    final int[] size;
    final double[] offset = {0, 0};
    final double[] stride = {1, 1};
    long macs;

    Trace(int h, int w) {
        size = new int[] {h, w};
    }

    /** A convolution on the main path. */
    void conv(Conv c) {
        for (int a = 0; a < 2; a++) {
            offset[a] += stride[a] * ((c.kernel - 1) / 2.0 - c.padBefore(size[a]));
            stride[a] *= c.stride;
            size[a] = c.outSize(size[a]);
        }
        macs += c.macs(size[0], size[1]);
    }

    /** A max pool on the main path (PyTorch semantics, symmetric padding). */
    void pool(int kernel, int poolStride, int pad) {
        for (int a = 0; a < 2; a++) {
            offset[a] += stride[a] * ((kernel - 1) / 2.0 - pad);
            stride[a] *= poolStride;
            size[a] = (size[a] + 2 * pad - kernel) / poolStride + 1;
        }
    }

    /** A convolution beside the main path (a residual projection) that ends on the current grid. */
    void branch(Conv c) {
        macs += c.macs(size[0], size[1]);
    }

    /** A 1x1 convolution on a globally pooled vector (squeeze-excitation). */
    void pooled(Conv c) {
        macs += c.macs(1, 1);
    }
}
