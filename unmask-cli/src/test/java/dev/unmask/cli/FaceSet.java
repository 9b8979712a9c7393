package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.model.BuiltinModels;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.face.FaceDetectorKind;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * {@code unmask train}'s arguments on a set written by {@link #write}: train.csv and val.csv in
     * {@code dir}, the images under {@code root}, the feature cache in {@code dir/cache}; then
     * {@code extra}.
     */
    static String[] trainArgs(Path dir, Path root, Path backbone, Path out, int imageSize, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--backbone", backbone.toString(), "--train", dir.resolve("train.csv").toString(),
                "--val", dir.resolve("val.csv").toString(), "--root", root.toString(), "--out", out.toString(),
                "--cache", dir.resolve("cache").toString(), "--image-size", Integer.toString(imageSize)));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /**
     * Writes {@code dir/contract.json}, the crop contract of BlazeFace at the default settings, for
     * {@code train --crop-contract}: the faces are drawn, not cropped, but declaring the contract
     * detect reproduces lets the trained detector judge real photos and videos.
     */
    static Path writeBlazeFaceContract(Path dir) throws IOException {
        Path file = dir.resolve("contract.json");
        try (FacePipeline p = FacePipeline.open(FaceDetectorKind.BLAZEFACE, PipelineConfig.DEFAULT)) {
            Files.writeString(file, StrictJson.mapper().writeValueAsString(p.contract().toMap()));
        }
        return file;
    }

    /**
     * Runs {@code unmask eval} on the set's val.csv in a fresh JVM, into {@code dir/eval}, and
     * checks that its scores.csv holds every validation image with the score the detector file,
     * loaded in this JVM, gives it (within 1e-6). Returns eval's output folder.
     */
    static Path assertFreshJvmEvalScoresAsLoaded(Path dir, Path root, Path detector, int imageSize) throws IOException, InterruptedException {
        Path evalOut = dir.resolve("eval");
        int code = FreshJvm.run(dir.resolve("eval.log"), "eval", "--detector", detector.toString(), "--test", dir.resolve("val.csv").toString(),
                "--root", root.toString(), "--out", evalOut.toString());
        assertThat(code).as(Files.readString(dir.resolve("eval.log"))).isZero();
        Map<String, Double> fresh = new LinkedHashMap<>();
        Files.readAllLines(evalOut.resolve("scores.csv")).stream().skip(1).forEach(l -> {
            String[] f = l.replace("\"", "").split(",");
            fresh.put(f[0], Double.parseDouble(f[2]));
        });
        Datalist val = Datalist.read(dir.resolve("val.csv"), root);
        assertThat(fresh).hasSize(val.size());
        // Scored in eval's batches (16, in list order): a ConvNet's float32 results depend on the batch
        // size by ~1e-6 (the engine blocks its convolutions by batch), which is not what is checked here.
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, null, m)) {
            List<Datalist.Item> items = val.items();
            int per = d.preprocessing().valuesPerImage();
            for (int start = 0; start < items.size(); start += 16) {
                List<Datalist.Item> batch = items.subList(start, Math.min(items.size(), start + 16));
                float[] flat = new float[batch.size() * per];
                for (int i = 0; i < batch.size(); i++) {
                    System.arraycopy(d.preprocessing().load(batch.get(i).file()), 0, flat, i * per, per);
                }
                float[] s = d.score(m.create(flat, new Shape(batch.size(), 3, imageSize, imageSize)));
                for (int i = 0; i < batch.size(); i++) {
                    assertThat(fresh.get(batch.get(i).relativePath())).as(batch.get(i).relativePath()).isCloseTo(s[i], within(1e-6));
                }
            }
        }
        return evalOut;
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
