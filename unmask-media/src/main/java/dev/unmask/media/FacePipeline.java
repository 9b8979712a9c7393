package dev.unmask.media;

import dev.unmask.core.UserError;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.crop.CropContract;
import dev.unmask.media.crop.FaceCropper;
import dev.unmask.media.face.Box;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.FaceDetector;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.face.FaceTracker;
import dev.unmask.media.face.Point;
import dev.unmask.media.pixels.FramePixels;
import dev.unmask.media.pixels.NativeFrame;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.video.VideoInfo;
import dev.unmask.media.video.VideoSampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Media file → sampled frames → faces → square crops: the path every use of a trained detector
 * (and every extraction of training data) takes, so that both make crops the same way. Frames
 * are streamed from the decoder and dropped once cropped, so memory holds one frame plus the
 * crops. Faces are found on a frame of bounded size ({@link #DETECTION_MAX_SIDE}) and cropped
 * from the full frame, which stays in native memory: a file's memory does not grow with its
 * frame size. Owns its detector; not thread-safe (one per worker).
 */
public final class FacePipeline implements AutoCloseable {
    /** Weak faces kept per file for the report: enough to see what was set aside, bounded for noisy files. */
    static final int MAX_WEAK_FACES = 64;

    /**
     * Faces are looked for in a frame at most this many pixels on its longer side; a larger frame is
     * first shrunk to it (area averaging) and the boxes are scaled back to full-frame pixels. Face
     * detectors need nothing near 16 megapixels (BlazeFace sees 192x192), and frames up to 2048 px,
     * 1080p and 2K among them, are searched exactly as they are.
     */
    public static final int DETECTION_MAX_SIDE = 2048;

    private final FaceDetector detector;
    private final PipelineConfig config;
    private final VideoSampler sampler;
    private final FaceCropper cropper;

    public FacePipeline(FaceDetector detector, PipelineConfig config) {
        this.detector = detector;
        this.config = config;
        this.sampler = new VideoSampler(config.sampler());
        if (config.alignment().needsKeypoints() && !detector.findsEyes()) {
            detector.close();
            throw new UserError((config.alignment() == Alignment.EYES ? "eye" : config.alignment().cliName()) + " alignment needs eye keypoints, and " + detector.id() + " finds boxes only; use BlazeFace");
        }
        this.cropper = new FaceCropper(config.margin(), config.cropSize(), config.kernel(), config.alignment());
    }

    public static FacePipeline open(FaceDetectorKind kind, PipelineConfig config) {
        return new FacePipeline(kind.open(), config);
    }

    public PipelineConfig config() {
        return config;
    }

    /** The recipe of this pipeline's crops, to store with what is made from them. */
    public CropContract contract() {
        return config.contract(detector.id());
    }

    /** A video, or a still image (told apart by content). Problems with the file are {@link dev.unmask.core.UserError}s. */
    public MediaFaces process(Path file) {
        List<Crop> crops = new ArrayList<>();
        FaceStream s = process(file, (frame, frameCrops) -> crops.addAll(frameCrops));
        return new MediaFaces(file, s.info(), s.framesSampled(), s.framesWithFaces(), crops, s.decodeSeconds(), s.detectSeconds());
    }

    /** Receives each sampled frame, with the crops made from it (possibly none), as soon as they are made. */
    @FunctionalInterface
    public interface FrameListener {
        void frame(SampledFrame frame, List<Crop> crops);
    }

    /**
     * A sampled frame as a listener sees it, valid during the call only (a video's frames are
     * refilled in place).
     *
     * @param picture the frame as faces were looked for in it: the frame itself unless its longer
     *     side is over {@link #DETECTION_MAX_SIDE}, then shrunk to that
     * @param width the full frame's width, the one face boxes and crop regions are in
     * @param height the full frame's height
     */
    public record SampledFrame(int frameNumber, double seconds, FramePixels picture, int width, int height) {}

    /**
     * What {@link #process(Path, FrameListener)} learned; the frames and crops went to the listener.
     *
     * @param decodeSeconds time spent reading and converting frames (not in the detector or the listener)
     * @param weakFaces     detections below the minimum confidence asked for, neither cropped nor counted
     */
    public record FaceStream(Path file, VideoInfo info, int framesSampled, int framesWithFaces, int crops, double decodeSeconds,
            double detectSeconds, List<Detection> weakFaces) {
        public FaceStream {
            weakFaces = List.copyOf(weakFaces);
        }
    }

    /** Asked after each stage of a staged sampling but the last whether to go on. */
    @FunctionalInterface
    public interface StageGate {
        /**
         * @param sampled frames sampled so far
         * @param planned frames the whole grid gives this video
         * @param weak    detections set aside so far as too weak to be faces
         */
        boolean next(int sampled, int planned, int weak);
    }

    /** A face the detector reported in a frame. */
    public record Detection(int frameNumber, double seconds, Face face) {}

    /** As {@link #process(Path, double, FrameListener)}, keeping every face the detector reports. */
    public FaceStream process(Path file, FrameListener listener) {
        return process(file, 0, listener);
    }

    /**
     * Streams a video's (or a still image's) sampled frames and their crops to {@code listener},
     * so that a consumer can work on the first frames while later ones are decoded and memory
     * holds one frame at a time. Faces below {@code minConfidence} are set aside before a face
     * is selected (a phantom must not hide a real face) and come back in {@link FaceStream#weakFaces()}.
     * Problems with the file are {@link dev.unmask.core.UserError}s.
     */
    public FaceStream process(Path file, double minConfidence, FrameListener listener) {
        return process(file, minConfidence, listener, null, null);
    }

    /**
     * As {@link #process(Path, double, FrameListener)}, a video sampled in stages of the sampler's
     * grid ({@link VideoSampler#sampleStaged}), {@code gate} deciding after each whether to go on;
     * with null stages, the whole grid at once. A still image is one frame either way.
     */
    public FaceStream process(Path file, double minConfidence, FrameListener listener, int[][] stages, StageGate gate) {
        Collector c = new Collector(listener, minConfidence);
        if (ImageFiles.isImage(file)) {
            long t0 = System.nanoTime();
            Picture p = ImageFiles.read(file, config.sampler().limits());
            double decode = (System.nanoTime() - t0) / 1e9;
            try (c) {
                c.accept(0, 0, p);
            }
            VideoInfo info = new VideoInfo("image", "image", p.width(), p.height(), 0, false, 0, 1, false, false);
            return new FaceStream(file, info, 1, c.framesWithFaces, c.crops, decode, c.detectNanos / 1e9, c.weak);
        }
        VideoSampler.Sampled s;
        try (c) {
            s = stages == null ? sampler.sample(file, c::accept) : sampler.sampleStaged(file, stages, c::accept,
                    (sampled, planned) -> gate.next(sampled, planned, c.weakSeen));
        }
        double decode = Math.max(0, s.seconds() - (c.detectNanos + c.cropNanos + c.listenerNanos) / 1e9);
        return new FaceStream(file, s.info(), s.frames(), c.framesWithFaces, c.crops, decode, c.detectNanos / 1e9, c.weak);
    }

    /** Crops of one in-memory picture (an upload, a frame from elsewhere), selected as configured. */
    public List<Crop> crops(Picture picture) {
        List<Crop> crops = new ArrayList<>();
        try (Collector c = new Collector((frame, frameCrops) -> crops.addAll(frameCrops), 0)) {
            c.accept(0, 0, picture);
        }
        return List.copyOf(crops);
    }

    /** Faces of one picture, capped and selected as configured, with track ids. */
    private final class Collector implements AutoCloseable {
        final FrameListener listener;
        /** The shrunk frame faces are looked for in, refilled in place; used only for frames over {@link #DETECTION_MAX_SIDE}. */
        final NativeFrame shrunk = new NativeFrame();
        final FaceTracker tracker = new FaceTracker(config.trackMinIou());
        final double minConfidence;
        final List<Detection> weak = new ArrayList<>();
        int framesWithFaces;
        int crops;
        int weakSeen;
        long detectNanos;
        long cropNanos;
        long listenerNanos;

        Collector(FrameListener listener, double minConfidence) {
            this.listener = listener;
            this.minConfidence = minConfidence;
        }

        void accept(int frameNumber, double seconds, FramePixels full) {
            long t0 = System.nanoTime();
            FramePixels searched = searched(full);
            SampledFrame frame = new SampledFrame(frameNumber, seconds, searched, full.width(), full.height());
            List<Face> faces = detector.detect(searched);
            if (searched != full) {
                faces = inFullFrame(faces, full.width() / (double) searched.width(), full.height() / (double) searched.height());
            }
            long t1 = System.nanoTime();
            detectNanos += t1 - t0;
            if (minConfidence > 0) {
                List<Face> confident = new ArrayList<>(faces.size());
                for (Face f : faces) {
                    if (f.score() >= minConfidence) {
                        confident.add(f);
                    } else {
                        weakSeen++;
                        if (weak.size() < MAX_WEAK_FACES) {
                            weak.add(new Detection(frame.frameNumber(), frame.seconds(), f));
                        }
                    }
                }
                faces = confident;
            }
            int cap = config.sampler().limits().maxFacesPerFrame();
            if (faces.size() > cap) {
                faces = faces.subList(0, cap);
            }
            if (faces.isEmpty()) {
                tell(frame, List.of());
                return;
            }
            framesWithFaces++;
            int[] tracks;
            if (config.selection() == FaceSelection.LARGEST) {
                faces = List.of(faces.stream().max(Comparator.comparingDouble(f -> f.box().area())).orElseThrow());
                tracks = new int[] {0};
            } else {
                tracks = tracker.assign(faces);
            }
            List<Crop> made = new ArrayList<>(faces.size());
            for (int i = 0; i < faces.size(); i++) {
                Face f = faces.get(i);
                made.add(new Crop(frameNumber, seconds, tracks[i], f, cropper.region(f), cropper.crop(full, f)));
            }
            crops += made.size();
            cropNanos += System.nanoTime() - t1;
            tell(frame, made);
        }

        void tell(SampledFrame frame, List<Crop> made) {
            long t0 = System.nanoTime();
            listener.frame(frame, List.copyOf(made));
            listenerNanos += System.nanoTime() - t0;
        }

        /** The frame faces are looked for in: the frame itself, or shrunk (natively, into one reused buffer) when too large. */
        FramePixels searched(FramePixels full) {
            int longer = Math.max(full.width(), full.height());
            if (longer <= DETECTION_MAX_SIDE) {
                return full;
            }
            double k = DETECTION_MAX_SIDE / (double) longer;
            int w = Math.max(1, (int) Math.round(full.width() * k));
            int h = Math.max(1, (int) Math.round(full.height() * k));
            Natives.opencv();
            try (Mat src = full.toMat(); Size to = new Size(w, h)) {
                opencv_imgproc.resize(src, shrunk.reshape(w, h), to, 0, 0, opencv_imgproc.INTER_AREA);
            }
            return shrunk;
        }

        @Override
        public void close() {
            shrunk.close();
        }
    }

    /** Faces found in a shrunk frame, in the full frame's pixels. */
    static List<Face> inFullFrame(List<Face> faces, double kx, double ky) {
        List<Face> out = new ArrayList<>(faces.size());
        for (Face f : faces) {
            Box b = f.box();
            List<Point> kps = new ArrayList<>(f.keypoints().size());
            for (Point p : f.keypoints()) {
                kps.add(new Point(p.x() * kx, p.y() * ky));
            }
            out.add(new Face(new Box(b.x() * kx, b.y() * ky, b.width() * kx, b.height() * ky), f.score(), kps));
        }
        return out;
    }

    @Override
    public void close() {
        detector.close();
    }
}
