package dev.unmask.media.video;

import dev.unmask.media.Picture;

/** Turns a picture by a multiple of 90° clockwise, as a player does with a video's display matrix. */
final class Rotation {
    private Rotation() {}

    static Picture apply(Picture p, int degreesClockwise) {
        int w = p.width();
        int h = p.height();
        byte[] src = p.bgr();
        switch (degreesClockwise) {
            case 0:
                return p;
            case 180: {
                byte[] dst = new byte[src.length];
                int n = w * h;
                for (int i = 0; i < n; i++) {
                    int j = n - 1 - i;
                    dst[j * 3] = src[i * 3];
                    dst[j * 3 + 1] = src[i * 3 + 1];
                    dst[j * 3 + 2] = src[i * 3 + 2];
                }
                return new Picture(w, h, dst);
            }
            case 90:
            case 270: {
                // Output is h wide and w high. Clockwise: (x, y) -> (h-1-y, x); counter-clockwise: (y, w-1-x).
                byte[] dst = new byte[src.length];
                boolean cw = degreesClockwise == 90;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int nx = cw ? h - 1 - y : y;
                        int ny = cw ? x : w - 1 - x;
                        int s = (y * w + x) * 3;
                        int d = (ny * h + nx) * 3;
                        dst[d] = src[s];
                        dst[d + 1] = src[s + 1];
                        dst[d + 2] = src[s + 2];
                    }
                }
                return new Picture(h, w, dst);
            }
            default:
                throw new IllegalArgumentException("rotation " + degreesClockwise);
        }
    }
}
