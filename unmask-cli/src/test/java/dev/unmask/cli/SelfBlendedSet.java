package dev.unmask.cli;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * A small manipulation set cut from real photos, for tests that must show learning on real
 * pixels. Each random crop (resized to the network size, camera noise added) gives a real item
 * and a fake twin in which a soft elliptical centre region — where a face swap lands — is
 * replaced by a transformed copy of itself, as in Shiohara &amp; Yamasaki's self-blended
 * images: method 1 shifts colour and blurs, method 2 resamples (down then up). Real and fake
 * go through the same resize and PNG encoding. Train and validation crops come from disjoint
 * halves of each photo (left / right).
 */
final class SelfBlendedSet {
    private SelfBlendedSet() {}

    /** Writes {@code root/<split>/{real,fake}/...png} and a datalist {@code root/<split>.csv}; returns the list paths. */
    static Path write(List<Path> photos, Path root, String split, boolean leftHalf, int cropsPerPhoto, int size, long seed)
            throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder list = new StringBuilder("path,label,video\n");
        for (Path photoFile : photos) {
            BufferedImage photo = rgb(ImageIO.read(photoFile.toFile()));
            String name = photoFile.getFileName().toString().replaceAll("\\.[a-z]+$", "");
            int halfW = photo.getWidth() / 2;
            int x0 = leftHalf ? 0 : halfW;
            for (int i = 0; i < cropsPerPhoto; i++) {
                int side = (int) (Math.min(halfW, photo.getHeight()) * (0.35 + 0.45 * r.nextDouble()));
                int x = x0 + r.nextInt(halfW - side + 1);
                int y = r.nextInt(photo.getHeight() - side + 1);
                BufferedImage crop = photo.getSubimage(x, y, side, side);
                if (r.nextBoolean()) {
                    crop = flip(crop);
                }
                // Resize first so the manipulation is made at the network's resolution, as a
                // face swap is blended into the frame it ends up in.
                BufferedImage real = sensorNoise(resize(crop, size), 3 + 3 * r.nextDouble(), r);
                int method = 1 + i % 2;
                // Every crop gives a real item and its manipulated twin, as FF++ fakes are made
                // from its real videos: content alone cannot tell the classes apart.
                for (int label : new int[] {0, method}) {
                    BufferedImage out = label == 0 ? real : selfBlend(real, label, r);
                    String rel = split + "/" + (label == 0 ? "real" : "fake") + "/" + name + String.format(Locale.ROOT, "_%04d.png", i);
                    Path file = root.resolve(rel);
                    Files.createDirectories(file.getParent());
                    ImageIO.write(out, "png", file.toFile());
                    list.append(rel).append(',').append(label).append(',').append(name).append(String.format(Locale.ROOT, "_%04d", i))
                            .append(label == 0 ? "_real" : "_fake").append('\n');
                }
            }
        }
        Path listFile = root.resolve(split + ".csv");
        Files.writeString(listFile, list.toString());
        return listFile;
    }

    static BufferedImage selfBlend(BufferedImage src, int method, SplittableRandom r) {
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage target = method == 1 ? colourAndBlur(src, r) : resampled(src, 0.25 + 0.15 * r.nextDouble());
        double cx = w * (0.45 + 0.1 * r.nextDouble());
        double cy = h * (0.45 + 0.1 * r.nextDouble());
        double rx = w * (0.22 + 0.12 * r.nextDouble());
        double ry = h * (0.26 + 0.12 * r.nextDouble());
        double feather = 0.25;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d = Math.hypot((x - cx) / rx, (y - cy) / ry);
                double m = d <= 1 - feather ? 1 : d >= 1 ? 0 : (1 - d) / feather;
                int a = src.getRGB(x, y);
                int b = target.getRGB(x, y);
                int rgb = 0;
                for (int shift = 16; shift >= 0; shift -= 8) {
                    double v = m * ((b >> shift) & 0xff) + (1 - m) * ((a >> shift) & 0xff);
                    rgb |= Math.max(0, Math.min(255, (int) Math.round(v))) << shift;
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    /** Per-channel gain and offset, then a 3×3 box blur: the colour and sharpness mismatch of a pasted face. */
    static BufferedImage colourAndBlur(BufferedImage src, SplittableRandom r) {
        int w = src.getWidth();
        int h = src.getHeight();
        double[] gain = new double[3];
        double[] offset = new double[3];
        for (int c = 0; c < 3; c++) {
            gain[c] = 0.75 + 0.5 * r.nextDouble();
            offset[c] = -25 + 50 * r.nextDouble();
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int shift = 16 - 8 * c;
                    double sum = 0;
                    int n = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int xx = Math.min(w - 1, Math.max(0, x + dx));
                            int yy = Math.min(h - 1, Math.max(0, y + dy));
                            sum += (src.getRGB(xx, yy) >> shift) & 0xff;
                            n++;
                        }
                    }
                    double v = gain[c] * sum / n + offset[c];
                    rgb |= Math.max(0, Math.min(255, (int) Math.round(v))) << shift;
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    /**
     * Camera noise, added to every crop before any manipulation: a swapped-in face is rendered
     * and lacks the noise of the frame around it, the inconsistency forensic detectors look for.
     * Downscaled photos have lost their own noise, so it is put back here.
     */
    static BufferedImage sensorNoise(BufferedImage src, double sigma, SplittableRandom r) {
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) {
                int a = src.getRGB(x, y);
                int rgb = 0;
                for (int shift = 16; shift >= 0; shift -= 8) {
                    double v = ((a >> shift) & 0xff) + sigma * r.nextGaussian();
                    rgb |= Math.max(0, Math.min(255, (int) Math.round(v))) << shift;
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    /** Down- then up-sampled: the resolution mismatch of a generated face. */
    static BufferedImage resampled(BufferedImage src, double factor) {
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage small = scale(src, Math.max(2, (int) (w * factor)), Math.max(2, (int) (h * factor)));
        return scale(small, w, h);
    }

    static BufferedImage resize(BufferedImage src, int size) {
        return scale(src, size, size);
    }

    static BufferedImage scale(BufferedImage src, int w, int h) {
        BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = dst.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return dst;
    }

    static BufferedImage flip(BufferedImage src) {
        int w = src.getWidth();
        BufferedImage out = new BufferedImage(w, src.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < w; x++) {
                out.setRGB(w - 1 - x, y, src.getRGB(x, y));
            }
        }
        return out;
    }

    static BufferedImage rgb(BufferedImage img) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return out;
    }

    /** Shuffled labels for the control run: same images, labels permuted with a fixed seed. */
    static Path shuffledLabels(Path list, long seed) throws IOException {
        List<String> lines = Files.readAllLines(list);
        List<String> labels = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            labels.add(l.split(",")[1]);
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = labels.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            String t = labels.get(i);
            labels.set(i, labels.get(j));
            labels.set(j, t);
        }
        StringBuilder sb = new StringBuilder(lines.get(0)).append('\n');
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            sb.append(f[0]).append(',').append(labels.get(i - 1)).append(',').append(f[2]).append('\n');
        }
        Path out = list.resolveSibling(list.getFileName().toString().replace(".csv", "_shuffled.csv"));
        Files.writeString(out, sb.toString());
        return out;
    }
}
