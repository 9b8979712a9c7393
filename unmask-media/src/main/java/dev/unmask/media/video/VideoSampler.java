package dev.unmask.media.video;

import dev.unmask.core.UserError;
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
     * upright and at full resolution, in native memory that the next frame overwrites: valid
     * during the call only ({@link NativeFrame#toPicture()} keeps a copy).
     *
     * @param frameNumber position in presentation order (0-based); estimated from the frame rate when sampled by seeking
     * @param seconds presentation time from the stream's start
     */
    @FunctionalInterface
    public interface FrameSink {
        void accept(int frameNumber, double seconds, NativeFrame frame);
    }

    /** All sampled frames at once (N full-size pictures on the heap). */
    public SampledVideo sample(Path file) {
        List<VideoFrame> frames = new ArrayList<>();
        Sampled s = sample(file, (number, seconds, frame) -> frames.add(new VideoFrame(number, seconds, frame.toPicture())));
        return new SampledVideo(s.info(), frames, s.seconds());
    }

    /** What streaming sampling learned; the frames went to the sink. */
    public record Sampled(VideoInfo info, int frames, double seconds) {}

    /** Streams the sampled frames, in presentation order, to the sink; memory stays at one frame, allocated once per video. */
    public Sampled sample(Path file, FrameSink sink) {
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (config.limits().maxDecodeSeconds() * 1e9);
        long[] ts;
        boolean damaged;
        try (FfmpegVideo v = FfmpegVideo.open(file, config.limits(), deadline, config.decoderThreads())) {
            double declared = v.declaredSeconds();
            boolean longVideo = declared > config.seekAboveSeconds() && declared / config.frames() >= config.seekGapSeconds();
            if (longVideo) {
                Sampled seeked = sampleBySeeking(v, declared, t0, sink);
                if (seeked != null) {
                    return seeked;
                }
                v.close();
                try (FfmpegVideo again = FfmpegVideo.open(file, config.limits(), deadline, config.decoderThreads())) {
                    ts = again.scanTimestamps();
                    damaged = again.sawDataError();
                }
            } else {
                ts = v.scanTimestamps();
                damaged = v.sawDataError();
            }
        }
        return sampleSequentially(file, ts, damaged, deadline, t0, sink);
    }

    /**
     * Decodes in order, converting only the frames on screen at the chosen instants. The
     * timestamps come from a demux-only pass, so the choice rests on the frames the file really
     * has rather than on its declared duration.
     */
    private Sampled sampleSequentially(Path file, long[] ts, boolean damaged, long deadline, long t0, FrameSink sink) {
        if (ts.length == 0) {
            throw new UserError(file + ": no video frames (zero-length or truncated before the first frame)");
        }
        int[] wanted = FrameSchedule.pick(ts, config.frames());
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
    private Sampled sampleBySeeking(FfmpegVideo v, double declared, long t0, FrameSink sink) {
        double[] at = FrameSchedule.instants(0, declared, config.frames());
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
