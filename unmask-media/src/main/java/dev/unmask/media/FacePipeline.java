package dev.unmask.media;

import dev.unmask.media.pixels.Picture;

import dev.unmask.core.UserError;
import dev.unmask.media.crop.Alignment;
import dev.unmask.media.crop.CropContract;
import dev.unmask.media.crop.FaceCropper;
import dev.unmask.media.face.Face;
import dev.unmask.media.face.FaceDetector;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import dev.unmask.media.face.FaceTracker;
import dev.unmask.media.video.VideoFrame;
import dev.unmask.media.video.VideoInfo;
import dev.unmask.media.video.VideoSampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Media file → sampled frames → faces → square crops: the path every use of a trained detector
 * (and every extraction of training data) takes, so that both make crops the same way. Frames
 * are streamed from the decoder and dropped once cropped, so memory holds one frame plus the
 * crops. Owns its detector; not thread-safe (one per worker).
 */
public final class FacePipeline implements AutoCloseable {
    /** Weak faces kept per file for the report: enough to see what was set aside, bounded for noisy files. */
    static final int MAX_WEAK_FACES = 64;

    private final FaceDetector detector;
    private final PipelineConfig config;
    private final VideoSampler sampler;
    private final FaceCropper cropper;

    public FacePipeline(FaceDetector detector, PipelineConfig config) {
        this.detector = detector;
        this.config = config;
        this.sampler = new VideoSampler(config.sampler());
        if (config.alignment() == Alignment.EYES && !detector.findsEyes()) {
            detector.close();
            throw new UserError("eye alignment needs eye keypoints, and " + detector.id() + " finds boxes only; use BlazeFace");
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
        void frame(VideoFrame frame, List<Crop> crops);
    }

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
            c.accept(new VideoFrame(0, 0, p));
            VideoInfo info = new VideoInfo("image", "image", p.width(), p.height(), 0, false, 0, 1, false, false);
            return new FaceStream(file, info, 1, c.framesWithFaces, c.crops, decode, c.detectNanos / 1e9, c.weak);
        }
        VideoSampler.Sampled s = stages == null ? sampler.sample(file, c::accept) : sampler.sampleStaged(file, stages, c::accept,
                (sampled, planned) -> gate.next(sampled, planned, c.weakSeen));
        double decode = Math.max(0, s.seconds() - (c.detectNanos + c.cropNanos + c.listenerNanos) / 1e9);
        return new FaceStream(file, s.info(), s.frames(), c.framesWithFaces, c.crops, decode, c.detectNanos / 1e9, c.weak);
    }

    /** Crops of one in-memory picture (an upload, a frame from elsewhere), selected as configured. */
    public List<Crop> crops(Picture picture) {
        List<Crop> crops = new ArrayList<>();
        new Collector((frame, frameCrops) -> crops.addAll(frameCrops), 0).accept(new VideoFrame(0, 0, picture));
        return List.copyOf(crops);
    }

    /** Faces of one picture, capped and selected as configured, with track ids. */
    private final class Collector {
        final FrameListener listener;
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

        void accept(VideoFrame frame) {
            long t0 = System.nanoTime();
            List<Face> faces = detector.detect(frame.picture());
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
                made.add(new Crop(frame.frameNumber(), frame.seconds(), tracks[i], f, cropper.region(f.box()),
                        cropper.crop(frame.picture(), f)));
            }
            crops += made.size();
            cropNanos += System.nanoTime() - t1;
            tell(frame, made);
        }

        void tell(VideoFrame frame, List<Crop> made) {
            long t0 = System.nanoTime();
            listener.frame(frame, List.copyOf(made));
            listenerNanos += System.nanoTime() - t0;
        }
    }

    @Override
    public void close() {
        detector.close();
    }
}
