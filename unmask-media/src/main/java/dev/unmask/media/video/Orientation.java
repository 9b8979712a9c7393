package dev.unmask.media.video;

import dev.unmask.media.pixels.Picture;

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

    Picture apply(Picture p) {
        if (this.equals(UPRIGHT)) {
            return p;
        }
        int w = p.width();
        int h = p.height();
        boolean turnedSideways = clockwise == 90 || clockwise == 270;
        int outW = turnedSideways ? h : w;
        byte[] src = p.bgr();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int mx = mirrored ? w - 1 - x : x;
                int nx;
                int ny;
                switch (clockwise) {
                    case 0 -> {
                        nx = mx;
                        ny = y;
                    }
                    case 90 -> {
                        nx = h - 1 - y;
                        ny = mx;
                    }
                    case 180 -> {
                        nx = w - 1 - mx;
                        ny = h - 1 - y;
                    }
                    default -> {
                        nx = y;
                        ny = w - 1 - mx;
                    }
                }
                int s = (y * w + x) * 3;
                int t = (ny * outW + nx) * 3;
                dst[t] = src[s];
                dst[t + 1] = src[s + 1];
                dst[t + 2] = src[s + 2];
            }
        }
        return new Picture(outW, turnedSideways ? w : h, dst);
    }
}
