package dev.unmask.core.data;

import dev.unmask.core.UserError;
import dev.unmask.core.image.ImageTensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Optional training augmentations, off by default as in the paper, applied to a decoded training
 * image before {@link Preprocessing}'s resize and normalisation. Validation images are never
 * augmented.
 *
 * <p>Spec syntax ({@code train --augment}): comma-separated terms, each at most once, applied in
 * this fixed order whatever the order written:
 * <ul>
 *   <li>{@code flip} — horizontal mirror with probability 0.5;</li>
 *   <li>{@code colour=S} (or {@code color=S}), S in (0, 1] — brightness, contrast and saturation
 *       factors each drawn uniformly from [1−S, 1+S] and applied in that order, as torchvision's
 *       {@code ColorJitter(S, S, S)} defines them;</li>
 *   <li>{@code blur=LO-HI} — Gaussian blur, sigma in pixels drawn uniformly from [LO, HI] ⊂ [0, 10]
 *       (kernel radius ⌈3σ⌉, edges mirrored); a sigma below 0.05 leaves the image as it is;</li>
 *   <li>{@code jpeg=LO-HI} — JPEG re-encoding with {@code javax.imageio} at an integer quality
 *       drawn uniformly from [LO, HI] ⊂ [1, 100], last, as a video platform compresses last.</li>
 * </ul>
 * A single value {@code blur=1.0} or {@code jpeg=75} is a range of one value; {@code none} is off.
 *
 * @param colour      jitter strength, 0 for none
 * @param blurSigma   {LO, HI}, or null for none
 * @param jpegQuality {LO, HI}, or null for none
 */
public record Augmentation(boolean flip, double colour, double[] blurSigma, int[] jpegQuality) {
    public static final Augmentation NONE = new Augmentation(false, 0, null, null);
    static final double MAX_SIGMA = 10;
    private static final double NO_BLUR_BELOW = 0.05;

    public Augmentation {
        if (!(colour >= 0 && colour <= 1)) {
            throw new UserError("augmentation colour strength must be in (0, 1], got " + colour);
        }
        if (blurSigma != null) {
            if (blurSigma.length != 2 || !(blurSigma[0] >= 0 && blurSigma[0] <= blurSigma[1] && blurSigma[1] <= MAX_SIGMA)) {
                throw new UserError("augmentation blur needs 0 <= LO <= HI <= " + (int) MAX_SIGMA + " (sigma in pixels)");
            }
            blurSigma = blurSigma.clone();
        }
        if (jpegQuality != null) {
            if (jpegQuality.length != 2 || !(jpegQuality[0] >= 1 && jpegQuality[0] <= jpegQuality[1] && jpegQuality[1] <= 100)) {
                throw new UserError("augmentation jpeg needs 1 <= LO <= HI <= 100 (quality)");
            }
            jpegQuality = jpegQuality.clone();
        }
    }

    /** Parses a {@code --augment} spec; any mistake is a one-line {@link UserError} naming the term. */
    public static Augmentation parse(String spec) {
        if (spec == null || spec.isBlank() || spec.strip().equalsIgnoreCase("none")) {
            return NONE;
        }
        boolean flip = false;
        double colour = 0;
        double[] blur = null;
        int[] jpeg = null;
        Set<String> seen = new LinkedHashSet<>();
        for (String raw : spec.split(",", -1)) {
            String term = raw.strip().toLowerCase(Locale.ROOT);
            int eq = term.indexOf('=');
            String name = eq < 0 ? term : term.substring(0, eq);
            String value = eq < 0 ? null : term.substring(eq + 1);
            if (name.equals("color")) {
                name = "colour";
            }
            if (!seen.add(name)) {
                throw new UserError("--augment " + spec + ": " + (name.isEmpty() ? "empty term" : name + " given twice"));
            }
            switch (name) {
                case "flip" -> {
                    if (value != null) {
                        throw new UserError("--augment " + spec + ": flip takes no value (it mirrors with probability 0.5)");
                    }
                    flip = true;
                }
                case "colour" -> {
                    colour = number(spec, name, value);
                    if (!(colour > 0 && colour <= 1)) {
                        throw new UserError("--augment " + spec + ": colour strength must be in (0, 1]");
                    }
                }
                case "blur" -> blur = range(spec, name, value);
                case "jpeg" -> {
                    double[] q = range(spec, name, value);
                    if (q[0] != Math.rint(q[0]) || q[1] != Math.rint(q[1])) {
                        throw new UserError("--augment " + spec + ": jpeg qualities are whole numbers from 1 to 100");
                    }
                    jpeg = new int[] {(int) q[0], (int) q[1]};
                }
                default -> throw new UserError("--augment " + spec + ": unknown term \"" + term
                        + "\" (use flip, jpeg=LO-HI, blur=LO-HI, colour=S, or none)");
            }
        }
        try {
            return new Augmentation(flip, colour, blur, jpeg);
        } catch (UserError e) {
            throw new UserError("--augment " + spec + ": " + e.getMessage());
        }
    }

    private static double number(String spec, String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new UserError("--augment " + spec + ": " + name + " needs a value (" + name + "=...)");
        }
        try {
            double v = Double.parseDouble(value);
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UserError("--augment " + spec + ": " + name + " value \"" + value + "\" is not a number");
        }
    }

    private static double[] range(String spec, String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new UserError("--augment " + spec + ": " + name + " needs a range (" + name + "=LO-HI)");
        }
        int dash = value.indexOf('-', 1);
        double lo = number(spec, name, dash < 0 ? value : value.substring(0, dash));
        double hi = dash < 0 ? lo : number(spec, name, value.substring(dash + 1));
        if (!(lo <= hi) || lo < 0) {
            throw new UserError("--augment " + spec + ": " + name + " range " + value + " must be LO-HI with 0 <= LO <= HI");
        }
        return new double[] {lo, hi};
    }

    public boolean isOff() {
        return !flip && colour == 0 && blurSigma == null && jpegQuality == null;
    }

    /** The canonical spec (fixed order, "none" when off): stored in the settings and compared on resume. */
    public String spec() {
        if (isOff()) {
            return "none";
        }
        List<String> t = new ArrayList<>();
        if (flip) {
            t.add("flip");
        }
        if (colour > 0) {
            t.add("colour=" + plain(colour));
        }
        if (blurSigma != null) {
            t.add("blur=" + plain(blurSigma[0]) + "-" + plain(blurSigma[1]));
        }
        if (jpegQuality != null) {
            t.add("jpeg=" + jpegQuality[0] + "-" + jpegQuality[1]);
        }
        return String.join(",", t);
    }

    private static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /**
     * The augmented copy of an 8-bit RGB image [3][H][W]; the input is not changed. Every draw
     * comes from {@code random}, in a fixed order, so one stream gives one image.
     */
    public int[][][] apply(int[][][] rgb, SplittableRandom random) {
        // Draw all parameters first, so each term's draws do not depend on which others are on.
        boolean mirror = random.nextDouble() < 0.5;
        double brightness = 1 + colour * (2 * random.nextDouble() - 1);
        double contrast = 1 + colour * (2 * random.nextDouble() - 1);
        double saturation = 1 + colour * (2 * random.nextDouble() - 1);
        double sigma = blurSigma == null ? 0 : blurSigma[0] + (blurSigma[1] - blurSigma[0]) * random.nextDouble();
        int quality = jpegQuality == null ? 0 : jpegQuality[0] + random.nextInt(jpegQuality[1] - jpegQuality[0] + 1);

        int[][][] out = copy(rgb);
        if (flip && mirror) {
            out = flipHorizontal(out);
        }
        if (colour > 0) {
            out = colourJitter(out, brightness, contrast, saturation);
        }
        if (blurSigma != null && sigma >= NO_BLUR_BELOW) {
            out = gaussianBlur(out, sigma);
        }
        if (jpegQuality != null) {
            out = jpeg(out, quality);
        }
        return out;
    }

    static int[][][] copy(int[][][] rgb) {
        int[][][] c = new int[3][][];
        for (int ch = 0; ch < 3; ch++) {
            c[ch] = new int[rgb[ch].length][];
            for (int y = 0; y < rgb[ch].length; y++) {
                c[ch][y] = rgb[ch][y].clone();
            }
        }
        return c;
    }

    static int[][][] flipHorizontal(int[][][] rgb) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        int[][][] out = new int[3][h][w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[c][y][w - 1 - x] = rgb[c][y][x];
                }
            }
        }
        return out;
    }

    /** torchvision's definitions: brightness scales; contrast blends with the mean grey; saturation with each pixel's grey. */
    static int[][][] colourJitter(int[][][] rgb, double brightness, double contrast, double saturation) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        double[][][] v = new double[3][h][w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[c][y][x] = clamp(rgb[c][y][x] * brightness);
                }
            }
        }
        double meanGrey = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                meanGrey += grey(v, y, x);
            }
        }
        meanGrey /= (double) h * w;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[c][y][x] = clamp(meanGrey + contrast * (v[c][y][x] - meanGrey));
                }
            }
        }
        int[][][] out = new int[3][h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double g = grey(v, y, x);
                for (int c = 0; c < 3; c++) {
                    out[c][y][x] = (int) Math.round(clamp(g + saturation * (v[c][y][x] - g)));
                }
            }
        }
        return out;
    }

    private static double grey(double[][][] v, int y, int x) {
        return 0.299 * v[0][y][x] + 0.587 * v[1][y][x] + 0.114 * v[2][y][x];
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Separable Gaussian, radius ⌈3σ⌉, edges mirrored (reflect, as torchvision pads). */
    static int[][][] gaussianBlur(int[][][] rgb, double sigma) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        int[][][] out = new int[3][h][w];
        double[][] row = new double[h][w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int i = -radius; i <= radius; i++) {
                        s += k[i + radius] * rgb[c][y][reflect(x + i, w)];
                    }
                    row[y][x] = s;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int i = -radius; i <= radius; i++) {
                        s += k[i + radius] * row[reflect(y + i, h)][x];
                    }
                    out[c][y][x] = (int) Math.round(clamp(s));
                }
            }
        }
        return out;
    }

    private static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * (n - 1);
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    /** Encodes as baseline JPEG at {@code quality} (1–100) with javax.imageio and decodes it back. */
    static int[][][] jpeg(int[][][] rgb, int quality) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (rgb[0][y][x] << 16) | (rgb[1][y][x] << 8) | rgb[2][y][x]);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(bytes)) {
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality / 100f);
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, null), p);
        } catch (IOException e) {
            throw new IllegalStateException("JPEG re-encoding in memory failed", e);
        } finally {
            writer.dispose();
        }
        try {
            return ImageTensor.rgb(ImageIO.read(new ByteArrayInputStream(bytes.toByteArray())));
        } catch (IOException e) {
            throw new IllegalStateException("JPEG decoding in memory failed", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Augmentation a && a.spec().equals(spec());
    }

    @Override
    public int hashCode() {
        return spec().hashCode();
    }

    @Override
    public String toString() {
        return spec();
    }
}
