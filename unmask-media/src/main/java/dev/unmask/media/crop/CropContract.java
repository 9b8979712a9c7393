package dev.unmask.media.crop;

import dev.unmask.core.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How face crops were made. It is part of a trained detector: a model trained on crops from one
 * recipe loses accuracy silently on crops from another (1.3× a BlazeFace box is not 1.3× a Haar
 * box), so the detector file stores this and {@code detect} refuses to run with a different one.
 *
 * @param detector face detector and model identity, e.g. {@code blazeface-full-range:sha256:…}
 * @param margin side of the square crop as a multiple of the box's longer side (for GenD's
 *               alignment, GenD's scale: how much the template's square is enlarged)
 * @param padding what fills the parts of the square outside the frame
 * @param size side of the crop in pixels after resizing
 * @param resizeKernel interpolation used for resizing (for GenD's alignment, the warp's sampling)
 * @param cropFormat file format of stored crops
 * @param decoder what turned files into pixels
 * @param alignment rotation applied before cropping, or GenD's alignment ({@link Alignment#id()})
 */
public record CropContract(String detector, double margin, String padding, int size, String resizeKernel, String cropFormat,
        String decoder, String alignment) {
    public static final double DEFAULT_MARGIN = 1.3;
    public static final int DEFAULT_SIZE = 224;
    public static final String PADDING = "constant-black";
    public static final String FORMAT = "png";
    public static final String DECODER = "ffmpeg-7.1.1+swscale-bilinear-bgr24;opencv-4.11.0-imgcodecs";
    public static final String NO_ALIGNMENT = Alignment.NONE.id();

    public CropContract {
        if (detector == null || detector.isBlank()) {
            throw new UserError("crop contract: detector is missing");
        }
        if (!(margin >= 1.0 && margin <= 4.0)) {
            throw new UserError("crop margin must be between 1.0 and 4.0, got " + margin);
        }
        if (size < 16 || size > 4096) {
            throw new UserError("crop size must be between 16 and 4096 pixels, got " + size);
        }
    }

    public static CropContract of(String detector, double margin, int size, ResizeKernel kernel) {
        return of(detector, margin, size, kernel, Alignment.NONE);
    }

    public static CropContract of(String detector, double margin, int size, ResizeKernel kernel, Alignment alignment) {
        return new CropContract(detector, margin, PADDING, size, kernel.id(), FORMAT, DECODER, alignment.id());
    }

    /** As stored in a detector file or an extraction's settings (insertion-ordered, JSON-ready). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("detector", detector);
        m.put("margin", margin);
        m.put("padding", padding);
        m.put("size", size);
        m.put("resize_kernel", resizeKernel);
        m.put("crop_format", cropFormat);
        m.put("decoder", decoder);
        m.put("alignment", alignment);
        return m;
    }

    public static CropContract fromMap(Map<String, ?> m) {
        try {
            return new CropContract(string(m, "detector"), ((Number) m.get("margin")).doubleValue(), string(m, "padding"),
                    ((Number) m.get("size")).intValue(), string(m, "resize_kernel"), string(m, "crop_format"), string(m, "decoder"),
                    string(m, "alignment"));
        } catch (ClassCastException | NullPointerException e) {
            throw new UserError("crop contract: missing or mistyped field in " + m.keySet());
        }
    }

    private static String string(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new UserError("crop contract: field '" + key + "' is missing or not a string");
        }
        return s;
    }

    /** The fields on which two contracts differ, as "name: this vs other"; empty when crops are interchangeable. */
    public List<String> differences(CropContract other) {
        List<String> d = new ArrayList<>();
        Map<String, Object> a = toMap();
        Map<String, Object> b = other.toMap();
        for (String k : a.keySet()) {
            if (!a.get(k).equals(b.get(k))) {
                d.add(k + ": " + a.get(k) + " vs " + b.get(k));
            }
        }
        return d;
    }

    /** Refuses, in one line, to mix crops made by another recipe. */
    public void requireSame(CropContract other, String context) {
        List<String> d = differences(other);
        if (!d.isEmpty()) {
            throw new UserError(context + ": crops were made differently (" + String.join("; ", d) + ")");
        }
    }
}
