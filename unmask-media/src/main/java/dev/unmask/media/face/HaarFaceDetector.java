package dev.unmask.media.face;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.FramePixels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.RectVector;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_objdetect.CascadeClassifier;

/**
 * OpenCV's Haar cascade {@code haarcascade_frontalface_alt2.xml}, shipped inside the OpenCV
 * jar: needs no set-up, but is slower and misses more faces than BlazeFace. Used only when asked
 * for, because its boxes are not BlazeFace's and crops made from them differ.
 */
public final class HaarFaceDetector implements FaceDetector {
    static final String RESOURCE = "/org/bytedeco/opencv/linux-x86_64/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml";

    private final CascadeClassifier cascade;

    private HaarFaceDetector(CascadeClassifier cascade) {
        this.cascade = cascade;
    }

    public static HaarFaceDetector open() {
        Natives.opencv();
        // CascadeClassifier reads from a path, not a stream: copy the jar resource out once.
        try (InputStream in = HaarFaceDetector.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new UserError("the Haar cascade " + RESOURCE + " is not on the class path (OpenCV jar for linux-x86_64 missing?)");
            }
            Path tmp = Files.createTempFile("unmask-haar", ".xml");
            try {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                CascadeClassifier c = new CascadeClassifier(tmp.toString());
                if (c.empty()) {
                    throw new IllegalStateException("OpenCV could not load the Haar cascade");
                }
                return new HaarFaceDetector(c);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError("cannot prepare the Haar cascade (" + e.getMessage() + ")");
        }
    }

    @Override
    public String id() {
        return "haar-frontalface-alt2:opencv-4.11.0";
    }

    @Override
    public List<Face> detect(FramePixels picture) {
        List<Face> faces = new ArrayList<>();
        int minSide = Math.max(20, Math.min(picture.width(), picture.height()) / 20);
        try (Mat bgr = picture.toMat(); Mat gray = new Mat(); Mat equalised = new Mat(); RectVector found = new RectVector();
             Size min = new Size(minSide, minSide); Size max = new Size()) {
            opencv_imgproc.cvtColor(bgr, gray, opencv_imgproc.COLOR_BGR2GRAY);
            opencv_imgproc.equalizeHist(gray, equalised);
            cascade.detectMultiScale(equalised, found, 1.1, 3, 0, min, max);
            for (long i = 0; i < found.size(); i++) {
                Rect r = found.get(i);
                faces.add(new Face(new Box(r.x(), r.y(), r.width(), r.height()), 1.0, List.of()));
            }
        }
        faces.sort(Comparator.comparingDouble((Face f) -> f.box().area()).reversed());
        return faces;
    }

    @Override
    public void close() {
        cascade.close();
    }
}
