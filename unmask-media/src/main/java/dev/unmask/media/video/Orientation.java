package dev.unmask.media.video;

import dev.unmask.media.pixels.NativeFrame;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * How a player shows decoded pictures: mirrored left to right first when the display matrix
 * mirrors (its determinant is negative), then turned clockwise by a multiple of 90°.
 *
 * @param clockwise 0, 90, 180 or 270
 * @param mirrored whether the picture is mirrored before it is turned
 */
record Orientation(int clockwise, boolean mirrored) {
    static final Orientation UPRIGHT = new Orientation(0, false);

    Orientation {
        if (clockwise != 0 && clockwise != 90 && clockwise != 180 && clockwise != 270) {
            throw new IllegalArgumentException("rotation " + clockwise);
        }
    }

    /**
     * From FFmpeg's 3×3 display matrix (row-vector convention: a pixel (x, y) of the decoded
     * picture, y pointing down, is shown at (m0·x + m3·y, m1·x + m4·y) plus a translation). Any
     * 2×2 part is a rotation, possibly after a mirror; angles between quarter turns are snapped to
     * the nearest one, since a crop of a face needs it upright, not exact.
     */
    static Orientation ofDisplayMatrix(int[] m) {
        double a = m[0];
        double b = m[1];
        double c = m[3];
        double d = m[4];
        double det = a * d - b * c;
        if (det == 0 || !Double.isFinite(det)) {
            return UPRIGHT;
        }
        boolean mirrored = det < 0;
        if (mirrored) {
            // Undo the mirror x -> -x applied first, which negates the image of the x axis.
            a = -a;
            b = -b;
        }
        // (a, b) is where the x axis goes; with y pointing down its angle is clockwise on screen.
        long quarterTurns = Math.round(Math.toDegrees(Math.atan2(b, a)) / 90.0);
        return new Orientation((int) Math.floorMod(quarterTurns * 90, 360), mirrored);
    }

    /**
     * The frame as shown: {@code from} itself when upright, else {@code out}, through
     * {@code scratch} when mirrored and turned. The frames are refilled in place, so a video's
     * frames cost no allocation each.
     */
    NativeFrame apply(NativeFrame from, NativeFrame scratch, NativeFrame out) {
        if (this.equals(UPRIGHT)) {
            return from;
        }
        Mat src = from.mat();
        if (mirrored) {
            Mat target = clockwise == 0 ? out.mat() : scratch.mat();
            opencv_core.flip(src, target, 1);
            if (clockwise == 0) {
                return out;
            }
            src = target;
        }
        int code = switch (clockwise) {
            case 90 -> opencv_core.ROTATE_90_CLOCKWISE;
            case 180 -> opencv_core.ROTATE_180;
            default -> opencv_core.ROTATE_90_COUNTERCLOCKWISE;
        };
        opencv_core.rotate(src, out.mat(), code);
        return out;
    }
}
