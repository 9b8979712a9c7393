package dev.unmask.media.video;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.pixels.NativeFrame;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.Picture;
import org.bytedeco.ffmpeg.global.avutil;
import org.junit.jupiter.api.Test;

class OrientationTest {
    /** A 3×2 picture whose every pixel is distinct, so that any wrong turn or mirror shows. */
    private static Picture numbered() {
        int w = 3;
        int h = 2;
        byte[] bgr = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            bgr[i * 3] = (byte) (10 * i + 1);
            bgr[i * 3 + 1] = (byte) (10 * i + 2);
            bgr[i * 3 + 2] = (byte) (10 * i + 3);
        }
        return new Picture(w, h, bgr);
    }

    /** The picture as the display matrix itself places it: pixel (x, y) at (m0·x + m3·y, m1·x + m4·y), shifted into view. */
    private static Picture byMatrix(Picture p, int[] m) {
        int a = Integer.signum(m[0]);
        int b = Integer.signum(m[1]);
        int c = Integer.signum(m[3]);
        int d = Integer.signum(m[4]);
        int w = p.width();
        int h = p.height();
        int minX = Math.min(0, a * (w - 1)) + Math.min(0, c * (h - 1));
        int minY = Math.min(0, b * (w - 1)) + Math.min(0, d * (h - 1));
        int outW = a != 0 ? w : h;
        int outH = a != 0 ? h : w;
        byte[] dst = new byte[p.bgr().length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int nx = a * x + c * y - minX;
                int ny = b * x + d * y - minY;
                System.arraycopy(p.bgr(), (y * w + x) * 3, dst, (ny * outW + nx) * 3, 3);
            }
        }
        return new Picture(outW, outH, dst);
    }

    /** What the decoder does with a frame: the picture copied into native memory, turned there, and copied back. */
    private static Picture shown(Orientation o, Picture p) {
        try (NativeFrame from = new NativeFrame(); NativeFrame scratch = new NativeFrame(); NativeFrame out = new NativeFrame()) {
            from.reshape(p.width(), p.height()).data().put(p.bgr(), 0, p.bgr().length);
            return o.apply(from, scratch, out).toPicture();
        }
    }

    private static int[] matrix(double clockwise, boolean hflip, boolean vflip) {
        Natives.init();
        int[] m = new int[9];
        avutil.av_display_rotation_set(m, clockwise);
        avutil.av_display_matrix_flip(m, hflip ? 1 : 0, vflip ? 1 : 0);
        return m;
    }

    @Test
    void everyQuarterTurnWithAndWithoutAFlipPlacesPixelsWhereTheMatrixSays() {
        for (int angle : new int[] {0, 90, 180, 270, -90}) {
            for (boolean hflip : new boolean[] {false, true}) {
                for (boolean vflip : new boolean[] {false, true}) {
                    int[] m = matrix(angle, hflip, vflip);
                    Orientation o = Orientation.ofDisplayMatrix(m);
                    Picture expected = byMatrix(numbered(), m);
                    Picture shown = shown(o, numbered());
                    String what = angle + "° hflip=" + hflip + " vflip=" + vflip;
                    assertThat(o.mirrored()).as(what).isEqualTo(hflip ^ vflip);
                    assertThat(shown.width()).as(what).isEqualTo(expected.width());
                    assertThat(shown.bgr()).as(what).isEqualTo(expected.bgr());
                }
            }
        }
    }

    @Test
    void aFlipIsTheSignOfTheDeterminant() {
        assertThat(Orientation.ofDisplayMatrix(matrix(0, true, false))).isEqualTo(new Orientation(0, true));
        // A vertical flip is a horizontal one turned half way round.
        assertThat(Orientation.ofDisplayMatrix(matrix(0, false, true))).isEqualTo(new Orientation(180, true));
        assertThat(Orientation.ofDisplayMatrix(matrix(0, true, true))).isEqualTo(new Orientation(180, false));
        // av_display_rotation_set turns clockwise (its inverse, av_display_rotation_get, answers counter-clockwise).
        assertThat(Orientation.ofDisplayMatrix(matrix(90, false, false))).isEqualTo(new Orientation(90, false));
        // Mirroring after a turn is mirroring before the opposite turn.
        assertThat(Orientation.ofDisplayMatrix(matrix(90, true, false))).isEqualTo(new Orientation(270, true));
    }

    @Test
    void anglesBetweenQuarterTurnsSnapToTheNearestAndAnEmptyMatrixIsUpright() {
        assertThat(Orientation.ofDisplayMatrix(matrix(-80, false, false))).isEqualTo(new Orientation(270, false));
        assertThat(Orientation.ofDisplayMatrix(matrix(-100, true, false))).isEqualTo(new Orientation(90, true));
        assertThat(Orientation.ofDisplayMatrix(new int[9])).isEqualTo(Orientation.UPRIGHT);
    }
}
