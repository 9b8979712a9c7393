package dev.unmask.core.data;

import dev.unmask.core.UserError;
import dev.unmask.core.image.ImageTensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * How a face crop becomes the network input, as the paper does: resize to size×size, then
 * {@code (v/255 − mean)/std}. Part of a detector and of every cache key: features computed with
 * another recipe are different features.
 *
 * @param resizeKernel the resampling used when an image is not already size×size
 */
public record Preprocessing(int size, float[] mean, float[] std, String resizeKernel) {
    public static final String JAVA2D_BICUBIC = "java2d-bicubic";

    public Preprocessing {
        if (size < 1 || size > 4096) {
            throw new UserError("image size " + size + " must be between 1 and 4096");
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The paper's recipe for a backbone: the given size with the backbone's own mean/std. */
    public static Preprocessing forBackbone(int patchSize, float[] mean, float[] std, int size) {
        if (size % patchSize != 0) {
            throw new UserError("image size " + size + " is not a multiple of the backbone's patch size " + patchSize);
        }
        return new Preprocessing(size, mean, std, JAVA2D_BICUBIC);
    }

    /** Normalised float32 CHW of one image file; unreadable files are a {@link UserError}. */
    public float[] load(Path file) {
        return normalise(ImageTensor.readRgb(file));
    }

    /** Normalised float32 CHW of decoded 8-bit RGB [3][H][W], resized first when not size×size. */
    public float[] normalise(int[][][] rgb) {
        if (rgb[0].length != size || rgb[0][0].length != size) {
            rgb = ImageTensor.resize(rgb, size);
        }
        return ImageTensor.normalize(rgb, mean, std);
    }

    public int valuesPerImage() {
        return 3 * size * size;
    }

    /** A stable text form, hashed into cache keys and stored in detectors. */
    public String descriptor() {
        return String.format(Locale.ROOT, "size=%d;resize=%s;mean=%s;std=%s", size, resizeKernel,
                Arrays.toString(mean), Arrays.toString(std));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.descriptor().equals(descriptor());
    }

    @Override
    public int hashCode() {
        return descriptor().hashCode();
    }
}
