package dev.unmask.api;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.explain.ExplanationMethod;
import dev.unmask.core.explain.Explainer;
import dev.unmask.core.explain.HeatMap;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.StrictJson;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.detect.DetectionRun;
import dev.unmask.media.detect.Verdict;
import dev.unmask.media.render.HeatOverlay;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Files that are already face crops (as datasets people download hold them): no face detection,
 * only the detector's preprocessing (resize to its input size, normalise), then the score. Each
 * file is one frame with one face; its report has the same shape as a detected file's.
 */
final class CropScoring {
    private final dev.unmask.core.detector.Detector model;
    private final ExplanationMethod method;

    CropScoring(dev.unmask.core.detector.Detector model, ExplanationMethod requested) {
        this.model = model;
        this.method = Explainer.methodFor(model, requested);
    }

    ExplanationMethod method() {
        return method;
    }

    /** The crop's report; an unreadable file or a non-finite score is the file's error, not an exception. */
    FileCheck check(Path file, int index, CheckOptions options) {
        long t0 = System.nanoTime();
        Preprocessing pre = model.preprocessing();
        double threshold = model.threshold();
        int[][][] rgb;
        try {
            if (!Files.isRegularFile(file)) {
                throw new UserError(file + ": no such file");
            }
            rgb = ImageTensor.readRgb(file);
        } catch (UserError e) {
            return error(file, threshold, e.getMessage(), t0);
        }
        long decoded = System.nanoTime();
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        float[] input = pre.normalise(rgb);
        float score;
        try (NDManager scope = model.backbone().manager().newSubManager()) {
            score = model.score(scope.create(input, new Shape(1, 3, pre.size(), pre.size())))[0];
        }
        long scored = System.nanoTime();
        if (!Float.isFinite(score)) {
            return error(file, threshold, file + ": the detector gave a non-finite score", t0);
        }
        Verdict verdict = score >= threshold ? Verdict.FAKE : Verdict.REAL;
        FileCheck.Explanation explanation = null;
        long explainStart = System.nanoTime();
        if (options.explain()) {
            explanation = explain(file, index, options.out(), rgb, input, score, threshold);
        }
        long end = System.nanoTime();
        FileCheck.Timings timings = new FileCheck.Timings((decoded - t0) / 1e9, 0.0, (scored - decoded) / 1e9,
                options.explain() ? (end - explainStart) / 1e9 : null, (end - t0) / 1e9, (decoded - t0) / 1e9, (decoded - t0) / 1e9);
        return new FileCheck(Unmask.SCHEMA_VERSION, file.toString(), verdict, (double) score, threshold, 1, 1, 1, null,
                List.of(new FileCheck.FaceTrack(0, (double) score, 1)),
                List.of(new FileCheck.FrameFace(0, 0.0, 0, (double) score, new FileCheck.Box(0, 0, w, h), null)), List.of(),
                new FileCheck.Media("image", "pre-cropped face", w, h, 0, false, null, false), timings, explanation, null);
    }

    private FileCheck.Explanation explain(Path file, int index, Path out, int[][][] rgb, float[] input, float score, double threshold) {
        Path dir = out.resolve(DetectionRun.folderName(index, file));
        try {
            Files.createDirectories(dir);
            Preprocessing pre = model.preprocessing();
            HeatMap map;
            try (NDManager scope = model.backbone().manager().newSubManager()) {
                map = Explainer.explain(model, scope.create(input, new Shape(1, 3, pre.size(), pre.size())), method).get(0).normalised();
            }
            int[][][] face = rgb[0].length == pre.size() && rgb[0][0].length == pre.size() ? rgb : ImageTensor.resize(rgb, pre.size());
            String caption = String.format(Locale.ROOT, "face crop: %.3f, %s", score, score >= threshold ? "fake" : "real");
            Path png = dir.resolve("overlay_1_frame0_face0.png");
            HeatOverlay.panel(picture(face), map, caption, method.id() + ": " + method.shortName()).writePng(png);
            return new FileCheck.Explanation(method.id(), null, null,
                    List.of(new FileCheck.Overlay(png.toString(), 0, 0.0, 0, (double) score, map.patchSize(), FileCheck.grid(map))));
        } catch (UserError | java.io.IOException e) {
            return new FileCheck.Explanation(method.id(), null, StrictJson.oneLine(e.getMessage()), List.of());
        }
    }

    private static Picture picture(int[][][] rgb) {
        int h = rgb[0].length;
        int w = rgb[0][0].length;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb[0][y][x] << 16 | rgb[1][y][x] << 8 | rgb[2][y][x]);
            }
        }
        return Picture.of(img);
    }

    private static FileCheck error(Path file, double threshold, String message, long t0) {
        double wall = (System.nanoTime() - t0) / 1e9;
        return new FileCheck(Unmask.SCHEMA_VERSION, file.toString(), Verdict.ERROR, null, threshold, 0, 0, 0, StrictJson.oneLine(message), List.of(),
                List.of(), List.of(), null, new FileCheck.Timings(null, null, null, null, wall, null, null), null, null);
    }
}
