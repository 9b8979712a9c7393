package dev.unmask.media.face;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.FramePixels;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_dnn;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.StringVector;
import org.bytedeco.opencv.opencv_dnn.Net;

/**
 * MediaPipe BlazeFace full-range, run by OpenCV's DNN module from the original TFLite file.
 * Pre-processing as MediaPipe's ImageToTensorCalculator for this model: the frame is resized
 * bilinearly into a 192×192 square keeping its aspect ratio, the rest black (keep_aspect_ratio,
 * BORDER_ZERO), RGB scaled to [-1, 1]. Decoding and NMS are in {@link BlazeFaceDecoder}.
 */
public final class BlazeFace implements FaceDetector {
    static final int INPUT = 192;
    private static final BlazeFaceDecoder DECODER = new BlazeFaceDecoder(SsdAnchors.generate(SsdAnchors.FULL_RANGE));

    private final Net net;
    private final StringVector outputs;
    private final int regressorsOutput;

    private BlazeFace(Path model) {
        Natives.opencv();
        net = opencv_dnn.readNetFromTFLite(model.toString());
        if (net.empty()) {
            throw new UserError(model + ": OpenCV could not read the BlazeFace model");
        }
        outputs = net.getUnconnectedOutLayersNames();
        if (outputs.size() != 2) {
            throw new UserError(model + ": expected BlazeFace's two outputs, found " + outputs.size());
        }
        // Output order is OpenCV's; tell them apart by the name the TFLite graph gives them.
        regressorsOutput = outputs.get(0).getString().contains("regressor") ? 0 : 1;
    }

    /** The model from the Unmask home, checked by SHA-256. */
    public static BlazeFace open() {
        return new BlazeFace(BlazeFaceModel.locate());
    }

    @Override
    public boolean findsEyes() {
        return true;
    }

    /** This detector's identity in crop contracts: the model and its pinned hash. */
    public static final String ID = "blazeface-full-range:sha256:" + BlazeFaceModel.SHA256;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public List<Face> detect(FramePixels picture) {
        List<Face> faces = detect(picture, 1);
        if (faces.isEmpty()) {
            // The full-range model is made for faces at a distance and misses one that fills more
            // than about two thirds of the frame (a close-up, an already-cropped face). Shown again
            // at half the size, in the middle of a black square, such a face is found; frames with
            // a face pay nothing for this.
            faces = detect(picture, 2);
        }
        return faces;
    }

    /** One pass with the frame shrunk into a square {@code zoomOut} times its longer side. */
    private List<Face> detect(FramePixels picture, double zoomOut) {
        int w = picture.width();
        int h = picture.height();
        double scale = INPUT / (Math.max(w, h) * zoomOut);
        int cw = Math.max(1, (int) Math.round(w * scale));
        int ch = Math.max(1, (int) Math.round(h * scale));
        int padX = (INPUT - cw) / 2;
        int padY = (INPUT - ch) / 2;
        // Per-axis scales after rounding, so that boxes map back exactly.
        double sx = cw / (double) w;
        double sy = ch / (double) h;
        float[] regressors = new float[DECODER.anchorCount() * BlazeFaceDecoder.COORDS];
        float[] logits = new float[DECODER.anchorCount()];
        try (Mat bgr = picture.toMat(); Mat small = new Mat(); Mat square = new Mat(); Size contentSize = new Size(cw, ch);
             Size inputSize = new Size(INPUT, INPUT); Scalar mean = new Scalar(127.5, 127.5, 127.5, 0); Scalar black = new Scalar(0, 0, 0, 0);
             MatVector out = new MatVector()) {
            // Resize into the letterbox, then pad: what MediaPipe's warp into the tensor does.
            opencv_imgproc.resize(bgr, small, contentSize, 0, 0, opencv_imgproc.INTER_LINEAR);
            opencv_core.copyMakeBorder(small, square, padY, INPUT - ch - padY, padX, INPUT - cw - padX, opencv_core.BORDER_CONSTANT, black);
            try (Mat blob = opencv_dnn.blobFromImage(square, 1 / 127.5, inputSize, mean, true, false, opencv_core.CV_32F)) {
                net.setInput(blob);
                net.forward(out, outputs);
            }
            try (Mat reg = out.get(regressorsOutput); Mat cls = out.get(1 - regressorsOutput)) {
                copy(reg, regressors);
                copy(cls, logits);
            }
        }
        List<Face> faces = new ArrayList<>();
        for (BlazeFaceDecoder.Raw r : DECODER.decode(regressors, logits)) {
            Box box = new Box((r.xmin() * INPUT - padX) / sx, (r.ymin() * INPUT - padY) / sy, r.w() * INPUT / sx, r.h() * INPUT / sy);
            List<Point> kps = new ArrayList<>();
            for (int k = 0; k < BlazeFaceDecoder.KEYPOINTS; k++) {
                kps.add(new Point((r.keypoints()[2 * k] * INPUT - padX) / sx, (r.keypoints()[2 * k + 1] * INPUT - padY) / sy));
            }
            faces.add(new Face(box, r.score(), kps));
        }
        return faces;
    }

    private static void copy(Mat m, float[] dst) {
        if (m.total() != dst.length || m.type() != opencv_core.CV_32F) {
            throw new IllegalStateException("unexpected BlazeFace output: " + m.total() + " values of type " + m.type());
        }
        FloatBuffer fb = m.createBuffer();
        fb.get(dst);
    }

    @Override
    public void close() {
        outputs.close();
        net.close();
    }
}
