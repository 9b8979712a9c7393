package dev.unmask.core.convnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * One 2-D convolution with timm's padding rules, usually with its BatchNorm folded in.
 *
 * <p>timm pads in two ways. The PyTorch-style default ({@code pad_type ''}) pads
 * {@code ((stride-1) + (k-1)) // 2} on every side. TF "SAME" ({@code pad_type 'same'}) is the same
 * static padding where that is symmetric (stride 1, odd kernel); elsewhere ({@code Conv2dSame}) it
 * pads {@code max((ceil(in/s)-1)*s + k - in, 0)} in total, the smaller half before: on an even
 * input a 3x3 stride-2 conv pads 0 above and 1 below. Getting that wrong shifts every feature map
 * by a pixel and still "looks" fine, which is why it lives in one place.
 */
final class Conv {
    final int in;
    final int out;
    final int kernel;
    final int stride;
    final int groups;
    /** Padding on each side when static; -1 when TF "SAME" is computed from the input size. */
    private final int staticPad;
    /** Null while only the architecture is being declared (see {@link Weights}). */
    final NDArray weight;
    final NDArray bias;

    Conv(int in, int out, int kernel, int stride, int groups, int staticPad, NDArray weight, NDArray bias) {
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.groups = groups;
        this.staticPad = staticPad;
        this.weight = weight;
        this.bias = bias;
    }

    /** The padding timm's {@code create_conv2d(..., padding=padType)} gives; -1 means dynamic SAME. */
    static int timmPadding(String padType, int kernel, int stride) {
        return switch (padType) {
            case "" -> ((stride - 1) + (kernel - 1)) / 2;
            case "same" -> stride == 1 && (kernel - 1) % 2 == 0 ? (kernel - 1) / 2 : -1;
            case "valid" -> 0;
            default -> throw new IllegalArgumentException("pad_type " + padType);
        };
    }

    NDArray apply(NDArray x) {
        int pad = staticPad;
        if (pad < 0) {
            long h = x.getShape().get(2);
            long w = x.getShape().get(3);
            int ph = sameTotal(h);
            int pw = sameTotal(w);
            if (ph % 2 == 0 && pw % 2 == 0 && ph == pw) {
                pad = ph / 2;
            } else {
                // F.pad order: last axis first, (left, right, top, bottom); the extra pixel goes after.
                x = x.pad(new Shape(pw / 2, pw - pw / 2, ph / 2, ph - ph / 2), 0);
                pad = 0;
            }
        }
        return Conv2d.conv2d(x, weight, bias, new Shape(stride, stride), new Shape(pad, pad), new Shape(1, 1), groups)
                .singletonOrThrow();
    }

    private int sameTotal(long size) {
        long outSize = (size + stride - 1) / stride;
        return (int) Math.max((outSize - 1) * stride + kernel - size, 0);
    }

    /** Padding added before (above / left of) an input of this size. */
    int padBefore(int size) {
        return staticPad < 0 ? sameTotal(size) / 2 : staticPad;
    }

    int outSize(int size) {
        if (staticPad < 0) {
            return (size + stride - 1) / stride;
        }
        return (size + 2 * staticPad - kernel) / stride + 1;
    }

    /** Multiply-adds for one image whose output map is {@code oh x ow}. */
    long macs(int oh, int ow) {
        return (long) out * (in / groups) * kernel * kernel * oh * ow;
    }
}
