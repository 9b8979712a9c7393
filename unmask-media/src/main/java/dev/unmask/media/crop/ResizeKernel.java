package dev.unmask.media.crop;

import dev.unmask.core.UserError;
import java.util.Locale;
import org.bytedeco.opencv.global.opencv_imgproc;

/** OpenCV interpolation used to bring a face crop to the model's input size. */
public enum ResizeKernel {
    /** Pixel-area averaging: anti-aliased when shrinking (the usual case for faces in HD video). */
    AREA(opencv_imgproc.INTER_AREA),
    LINEAR(opencv_imgproc.INTER_LINEAR),
    CUBIC(opencv_imgproc.INTER_CUBIC),
    LANCZOS(opencv_imgproc.INTER_LANCZOS4);

    final int opencvFlag;

    ResizeKernel(int opencvFlag) {
        this.opencvFlag = opencvFlag;
    }

    public String id() {
        return "opencv-" + name().toLowerCase(Locale.ROOT);
    }

    public static ResizeKernel parse(String s) {
        for (ResizeKernel k : values()) {
            if (k.name().equalsIgnoreCase(s) || k.id().equalsIgnoreCase(s)) {
                return k;
            }
        }
        throw new UserError("unknown resize kernel '" + s + "'; expected area, linear, cubic or lanczos");
    }
}
