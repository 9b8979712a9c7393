package dev.unmask.cli;

import dev.unmask.core.model.BuiltinModels;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import javax.imageio.ImageIO;

/**
 * A small labelled set of drawn faces as the train and eval tests write it: image {@code i} a PNG
 * under {@code root/real} or {@code root/fake}, the first {@code trainCount} listed in
 * {@code train.csv}, the rest in {@code val.csv}. Learning is {@link LearningTest}'s job; here the
 * images only need to exist, fakes with a cue a probe can pick up.
 */
record FaceSet(long seed, int count, int trainCount, boolean videoFolders, IntUnaryOperator label, boolean quotedValPaths) {
    /** Real (0) and fake (1) in turn, flat under real/ and fake/, lists with no header. */
    static FaceSet of(long seed, int count, int trainCount) {
        return new FaceSet(seed, count, trainCount, false, i -> i % 2, false);
    }

    /** Four images a video, in folders v0, v1, …; val.csv with a header and a video column (v0r, v1f, …), so eval pools by video. */
    FaceSet byVideo() {
        return new FaceSet(seed, count, trainCount, true, label, quotedValPaths);
    }

    /** Each image's label from its index: 0 is real, any other a kind of fake. */
    FaceSet labels(IntUnaryOperator labelOf) {
        return new FaceSet(seed, count, trainCount, videoFolders, labelOf, quotedValPaths);
    }

    /** val.csv's paths in double quotes, as spreadsheets write them. */
    FaceSet quoteValPaths() {
        return new FaceSet(seed, count, trainCount, videoFolders, label, true);
    }

    /** Writes the images under {@code root} and train.csv and val.csv in {@code dir}. */
    void write(Path dir, Path root) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder train = new StringBuilder();
        StringBuilder val = new StringBuilder(videoFolders ? "path,label,video\n" : "");
        for (int i = 0; i < count; i++) {
            int l = label.applyAsInt(i);
            String rel = (l == 0 ? "real" : "fake") + (videoFolders ? "/v" + (i / 4) : "") + "/" + i + ".png";
            Files.createDirectories(root.resolve(rel).getParent());
            ImageIO.write(face(r, l > 0), "png", root.resolve(rel).toFile());
            if (i < trainCount) {
                train.append(rel).append(',').append(l).append('\n');
            } else {
                val.append(quotedValPaths ? '"' + rel + '"' : rel).append(',').append(l);
                if (videoFolders) {
                    val.append(",v").append(i / 4).append(l == 0 ? "r" : "f");
                }
                val.append('\n');
            }
        }
        Files.writeString(dir.resolve("train.csv"), train.toString());
        Files.writeString(dir.resolve("val.csv"), val.toString());
    }

    /** A drawn face with some noise, fakes with a bright patch on the cheek; 70×70 so the trainer resizes it to 56. */
    static BufferedImage face(SplittableRandom r, boolean fake) {
        BufferedImage img = BuiltinModels.drawFace(70, r.nextLong());
        for (int i = 0; i < 50; i++) {
            img.setRGB(r.nextInt(70), r.nextInt(70), r.nextInt(1 << 24));
        }
        Graphics2D g = img.createGraphics();
        if (fake) {
            g.setColor(new Color(250, 200, 180));
            g.fillOval(20 + r.nextInt(10), 30 + r.nextInt(10), 18, 14);
        }
        g.dispose();
        return img;
    }
}
