package dev.unmask.core.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/** Where one tensor lives: its file, dtype, shape and absolute byte range in that file. */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long offset, long length) {

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    public int[] intShape() {
        return Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
    }
}
