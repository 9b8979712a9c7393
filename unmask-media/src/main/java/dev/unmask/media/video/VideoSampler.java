package dev.unmask.media.video;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.FramePixels;
import dev.unmask.media.pixels.NativeFrame;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples N frames evenly spaced in time from a video file.
 *
 * <p>Short videos: the packets are demuxed once without decoding to learn every frame's
 * timestamp (so variable frame rates, truncated files and wrong declared durations do not skew
 * the spacing), then the file is decoded once in order and only the chosen frames are converted
 * to pixels. Long videos with samples far apart: each sample is reached by seeking to the
 * keyframe before it, so the cost for a fixed N stops growing with the length.
 *
 * <p>Thread-safe: keeps no state between files.
 */
public final class VideoSampler {
    private final SamplerConfig config;

    public VideoSampler(SamplerConfig config) {
        this.config = config;
    }

    public SamplerConfig config() {
        return config;
    }

    /**
     * Receives frames as they are decoded, so that a caller need not hold them all. The frame is
     * upright and at full resolution, usually in native memory that the next frame overwrites:
     * valid during the call only ({@link FramePixels#toPicture()} keeps a copy).
     *
     * @param frameNumber position in presentation order (0-based); estimated from the frame rate when sampled by seeking
     * @param seconds presentation time from the stream's start
     */
    @FunctionalInterface
    public interface FrameSink {
        void accept(int frameNumber, double seconds, FramePixels frame);
    }

    /** All sampled frames at once (N full-size pictures on the heap). */
    public SampledVideo sample(Path file) {
        List<VideoFrame> frames = new ArrayList<>();
        Sampled s = sample(file, (number, seconds, frame) -> frames.add(new VideoFrame(number, seconds, frame.toPicture())));
        return new SampledVideo(s.info(), frames, s.seconds());
    }

    /** What streaming sampling learned; the frames went to the sink. */
    public record Sampled(VideoInfo info, int frames, double seconds) {}

    /**
     * Asked after each stage of a staged sampling but the last whether to go on.
     */
    @FunctionalInterface
    public interface StageGate {
        /**
         * @param sampled frames delivered so far
         * @param planned frames the whole grid gives this video (fewer than the grid's slots for a clip with fewer frames)
         */
        boolean next(int sampled, int planned);
    }

    /**
     * Streams the frames of the grid's slots stage by stage ({@link FrameSchedule#stages}), each
     * stage in presentation order, asking {@code gate} after each stage but the last whether to go
     * on. Short videos are decoded once, later stages' frames kept until asked for (up to
     * {@link #STASH_BYTES}, else decoded again); long ones seek to each stage's instants.
     */
    public Sampled sampleStaged(Path file, int[][] stages, FrameSink sink, StageGate gate) {
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (config.limits().maxDecodeSeconds() * 1e9);
        int n = config.frames();
        Scan scan;
        try (FfmpegVideo v = FfmpegVideo.open(file, config.limits(), deadline, config.decoderThreads())) {
            double declared = v.declaredSeconds();
            boolean longVideo = declared > config.seekAboveSeconds() && declared / n >= config.seekGapSeconds();
            if (longVideo) {
                double[] at = FrameSchedule.instants(0, declared, n);
                int delivered = 0;
                Sampled last = null;
                for (int s = 0; s < stages.length; s++) {
                    double[] stageAt = java.util.Arrays.stream(stages[s]).mapToDouble(i -> at[i]).toArray();
                    Sampled seeked = sampleBySeeking(v, declared, stageAt, t0, sink);
                    if (seeked == null) {
                        if (s > 0) {
                            throw new UserError(file + ": seeking failed (corrupt index?)");
                        }
                        break;
                    }
                    delivered += seeked.frames();
                    last = seeked;
                    if (s + 1 < stages.length && !gate.next(delivered, n)) {
                        break;
                    }
                }
                if (last != null) {
                    return new Sampled(last.info(), delivered, (System.nanoTime() - t0) / 1e9);
                }
                v.close();
                scan = rescan(file, deadline);
            } else {
                scan = Scan.of(v, file);
            }
        }
        long[] ts = scan.timestamps();
        boolean damaged = scan.damaged();
        int[] slotFrames = FrameSchedule.slotFrames(ts, n);
        int planned = (int) java.util.Arrays.stream(slotFrames).distinct().count();
        // Each stage's frames, each frame in the first stage that names it.
        int[][] stageFrames = new int[stages.length][];
        java.util.Set<Integer> named = new java.util.HashSet<>();
        for (int s = 0; s < stages.length; s++) {
            stageFrames[s] = java.util.Arrays.stream(stages[s]).map(i -> slotFrames[i]).distinct().filter(f -> !named.contains(f)).sorted().toArray();
            for (int f : stageFrames[s]) {
                named.add(f);
            }
        }
        // One decoding pass for every stage: the first stage's frames go to the sink as they are
        // decoded, the later stages' are kept (up to STASH_BYTES) so that going on does not decode
        // the video again. Past the budget (long, large videos) they are dropped, and a later stage
        // decodes the video again for its own frames.
        java.util.Set<Integer> first = new java.util.HashSet<>();
        for (int f : stageFrames[0]) {
            first.add(f);
        }
        java.util.Map<Integer, VideoFrame> stash = new java.util.TreeMap<>();
                long[] stashBytes = {0};
        boolean[] overflow = {false};
        int[] delivered = {0};
        int[] all = java.util.Arrays.stream(stageFrames).flatMapToInt(java.util.Arrays::stream).sorted().toArray();
        Sampled pass = sampleSequentially(file, ts, all, damaged, deadline, t0, (number, seconds, frame) -> {
            if (first.contains(number)) {
                delivered[0]++;
                sink.accept(number, seconds, frame);
            } else if (!overflow[0]) {
                // Kept as a heap copy: the native frame is overwritten by the next one.
                stashBytes[0] += 3L * frame.width() * frame.height();
                if (stashBytes[0] > STASH_BYTES) {
                    overflow[0] = true;
                    stash.clear();
                } else {
                    stash.put(number, new VideoFrame(number, seconds, frame.toPicture()));
                }
            }
        });
        for (int s = 1; s < stages.length; s++) {
            if (!gate.next(delivered[0], planned)) {
                break;
            }
            if (stageFrames[s].length == 0) {
                continue;
            }
            if (!overflow[0]) {
                for (int f : stageFrames[s]) {
                    VideoFrame kept = stash.remove(f);
                    if (kept != null) {
                        delivered[0]++;
                        sink.accept(kept.frameNumber(), kept.seconds(), kept.picture());
                    }
                }
            } else {
                delivered[0] += sampleSequentially(file, ts, stageFrames[s], damaged, deadline, t0, sink).frames();
            }
        }
        stash.clear();
        return new Sampled(pass.info(), delivered[0], (System.nanoTime() - t0) / 1e9);
    }

    /** Later stages' frames kept from the one decoding pass of a short video (--frames auto): 24 frames of 1080p fit. */
    static final long STASH_BYTES = 160L << 20;

    /** Streams the sampled frames, in presentation order, to the sink; memory stays at one frame, allocated once per video. */
    public Sampled sample(Path file, FrameSink sink) {
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (config.limits().maxDecodeSeconds() * 1e9);
        Scan scan;
        try (FfmpegVideo v = FfmpegVideo.open(file, config.limits(), deadline, config.decoderThreads())) {
            double declared = v.declaredSeconds();
            boolean longVideo = declared > config.seekAboveSeconds() && declared / config.frames() >= config.seekGapSeconds();
            if (longVideo) {
                Sampled seeked = sampleBySeeking(v, declared, FrameSchedule.instants(0, declared, config.frames()), t0, sink);
                if (seeked != null) {
                    return seeked;
                }
                v.close();
                scan = rescan(file, deadline);
            } else {
                scan = Scan.of(v, file);
            }
        }
        long[] ts = scan.timestamps();
        boolean damaged = scan.damaged();
        return sampleSequentially(file, ts, FrameSchedule.pick(ts, config.frames()), damaged, deadline, t0, sink);
    }

    /** Every frame's timestamp from a demux-only pass, and whether the file showed damage on the way. */
    private record Scan(long[] timestamps, boolean damaged) {
        static Scan of(FfmpegVideo v, Path file) {
            long[] ts = v.scanTimestamps();
            if (ts.length == 0) {
                throw new UserError(file + ": no video frames (zero-length or truncated before the first frame)");
            }
            return new Scan(ts, v.sawDataError());
        }
    }

    /** The scan of a file opened afresh, after seeking in it failed. */
    private Scan rescan(Path file, long deadline) {
        try (FfmpegVideo again = FfmpegVideo.open(file, config.limits(), deadline, config.decoderThreads())) {
            return Scan.of(again, file);
        }
    }

    /**
     * Decodes in order, converting only the frames on screen at the chosen instants. The
     * timestamps come from a demux-only pass, so the choice rests on the frames the file really
     * has rather than on its declared duration.
     */
    private Sampled sampleSequentially(Path file, long[] ts, int[] wanted, boolean damaged, long deadline, long t0, FrameSink sink) {
        try (FfmpegVideo v = FfmpegVideo.open(file, config.limits(), deadline, config.decoderThreads())) {
            int next = 0;
            int count = 0;
            int width = 0;
            int height = 0;
            Long t;
            while (next < wanted.length && (t = v.decodeNext()) != null) {
                long target = ts[wanted[next]];
                if (t < target) {
                    continue;
                }
                // t > target only if the decoder's timestamps differ from the demuxer's (some AVI
                // files): the first frame past the instant is then the closest we can name.
                int number = wanted[next];
                NativeFrame p = v.convertCurrent();
                if (count++ == 0) {
                    width = p.width();
                    height = p.height();
                }
                sink.accept(number, v.seconds(ts[number] - ts[0]), p);
                while (next < wanted.length && ts[wanted[next]] <= t) {
                    next++;
                }
            }
            if (count == 0) {
                throw new UserError(file + ": no frame could be decoded (corrupt video data)");
            }
            VideoInfo info = new VideoInfo(v.formatName(), v.codecName(), width, height, v.orientation().clockwise(), v.orientation().mirrored(),
                    v.declaredSeconds(), ts.length, false, damaged || v.sawDataError() || count < wanted.length);
            return new Sampled(info, count, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Returns null if the file turns out not to be seekable (then it is decoded in order). */
    private Sampled sampleBySeeking(FfmpegVideo v, double declared, double[] at, long t0, FrameSink sink) {
        double fps = v.frameRate();
        long start = v.startTimestamp();
        int delivered = 0;
        double lastSeconds = Double.NaN;
        int width = 0;
        int height = 0;
        for (double instant : at) {
            long target = start + v.timestamp(instant);
            if (!v.seekBefore(target)) {
                if (delivered == 0) {
                    // Nothing reached the sink yet: fall back to sequential sampling.
                    return null;
                }
                throw new UserError(v.file() + ": seeking failed at " + String.format("%.1f", instant) + " s (corrupt index?)");
            }
            // Decode from the keyframe up to the first frame past the instant; the one before it
            // is the frame on screen at the instant, and only that one is converted.
            NativeFrame picture = null;
            long chosen = 0;
            Long t;
            while ((t = v.decodeNext()) != null) {
                if (t > target) {
                    if (v.hasHeld()) {
                        picture = v.convertHeld();
                        chosen = v.heldTimestamp();
                    } else {
                        picture = v.convertCurrent();
                        chosen = t;
                    }
                    break;
                }
                v.holdCurrent();
            }
            if (picture == null && v.hasHeld()) {
                picture = v.convertHeld();
                chosen = v.heldTimestamp();
            }
            if (picture == null) {
                throw new UserError(v.file() + ": no frame at " + String.format("%.1f", instant) + " s of the declared "
                        + String.format("%.1f", declared) + " s (truncated?)");
            }
            double seconds = v.seconds(chosen - start);
            int number = Double.isNaN(fps) ? -1 : (int) Math.round(seconds * fps);
            if (seconds != lastSeconds) {
                lastSeconds = seconds;
                if (delivered++ == 0) {
                    width = picture.width();
                    height = picture.height();
                }
                sink.accept(number, seconds, picture);
            }
        }
        VideoInfo info = new VideoInfo(v.formatName(), v.codecName(), width, height, v.orientation().clockwise(), v.orientation().mirrored(),
                declared, -1, true, v.sawDataError());
        return new Sampled(info, delivered, (System.nanoTime() - t0) / 1e9);
    }
}
