package dev.unmask.media.video;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.bytedeco.ffmpeg.global.swscale.*;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.NativeFrame;
import dev.unmask.media.pixels.Natives;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avcodec.AVPacketSideData;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avformat.AVProbeData;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVFrameSideData;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One open video stream, read with FFmpeg's own API so that every safety switch is set before
 * the demuxer or decoder touches the file: the probed format is checked against
 * {@link InputPolicy} and then forced, only the {@code file} protocol is allowed, the declared
 * frame size is checked before decoding, and decoders refuse frames over the pixel cap. Not
 * thread-safe; one per video.
 */
final class FfmpegVideo implements AutoCloseable {
    private static final int PROBE_BYTES = 1 << 20;
    private static final int MAX_STREAMS = 64;
    /** libavutil's AV_FRAME_FLAG_KEY, a macro that JavaCPP does not map. */
    private static final int FRAME_FLAG_KEY = 1 << 1;

    private final Path file;
    private final MediaLimits limits;
    private final long deadlineNanos;
    private AVFormatContext fmt;
    private AVCodecContext codec;
    private AVPacket packet;
    private AVFrame frame;
    private AVFrame held;
    private SwsContext sws;
    /** BGR conversions of this video's frames, refilled in place: one allocation per video, not 48 MB per 4K frame. */
    private final NativeFrame decoded = new NativeFrame();
    private final NativeFrame turned = new NativeFrame();
    private final NativeFrame mirrored = new NativeFrame();
    private final int streamIndex;
    /** The stream's time base in seconds per tick (a Java number: an AVRational copy would be native memory freed only by the GC). */
    private final double secondsPerTick;
    private final Orientation streamOrientation;
    private Orientation orientation;
    private Orientation heldOrientation;
    private Orientation firstShown;
    private final String formatName;
    private final String codecName;
    private boolean draining;
    private boolean endOfData;
    private boolean dataError;
    private long lastTs = AV_NOPTS_VALUE;
    private long heldTs = AV_NOPTS_VALUE;

    private FfmpegVideo(Path file, MediaLimits limits, long deadlineNanos, int decoderThreads) {
        this.file = file;
        this.limits = limits;
        this.deadlineNanos = deadlineNanos;
        Natives.ffmpeg();
        InputPolicy.checkFile(file, limits);
        AVInputFormat probed = probe(file);
        String probedName = probed.name().getString();
        InputPolicy.checkFormat(file, probedName);
        this.formatName = probedName;
        try {
            fmt = new AVFormatContext(null);
            AVDictionary options = new AVDictionary(null);
            av_dict_set(options, "protocol_whitelist", "file", 0);
            av_dict_set(options, "format_whitelist", InputPolicy.formatWhitelist(), 0);
            // "file:" so that a name with a colon is never read as a protocol; UTF-8 whatever the locale.
            int r;
            try (BytePointer url = new BytePointer("file:" + file.toAbsolutePath(), java.nio.charset.StandardCharsets.UTF_8)) {
                r = avformat_open_input(fmt, url, probed, options);
            }
            av_dict_free(options);
            if (r < 0) {
                fmt = null;
                throw new UserError(file + ": cannot open as " + probedName + " (" + error(r) + "); truncated or corrupt?");
            }
            if (fmt.nb_streams() > MAX_STREAMS) {
                throw new UserError(file + ": " + fmt.nb_streams() + " streams, over the limit of " + MAX_STREAMS);
            }
            // Dimensions from the container header, before any frame is decoded.
            for (int i = 0; i < fmt.nb_streams(); i++) {
                AVCodecParameters p = fmt.streams(i).codecpar();
                if (p.codec_type() == AVMEDIA_TYPE_VIDEO && (p.width() > 0 || p.height() > 0)) {
                    limits.checkFrameSize(file, p.width(), p.height());
                }
            }
            findStreamInfo();
            int index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
            if (index < 0) {
                boolean audio = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0) >= 0;
                throw new UserError(file + ": no video stream" + (audio ? " (audio only)" : ""));
            }
            this.streamIndex = index;
            AVStream st = fmt.streams(index);
            for (int i = 0; i < fmt.nb_streams(); i++) {
                if (i != index) {
                    fmt.streams(i).discard(AVDISCARD_ALL);
                }
            }
            AVCodecParameters par = st.codecpar();
            limits.checkFrameSize(file, par.width(), par.height());
            AVRational timeBase = st.time_base();
            if (timeBase.num() <= 0 || timeBase.den() <= 0) {
                throw new UserError(file + ": invalid stream time base " + timeBase.num() + "/" + timeBase.den());
            }
            this.secondsPerTick = timeBase.num() / (double) timeBase.den();
            this.streamOrientation = streamOrientation(par);
            this.orientation = streamOrientation;
            double declared = declaredSeconds();
            if (declared > limits.maxDurationSeconds()) {
                throw new UserError(file + ": " + Math.round(declared) + " s long, over the limit of "
                        + Math.round(limits.maxDurationSeconds()) + " s");
            }
            AVCodec decoder = avcodec_find_decoder(par.codec_id());
            if (decoder == null) {
                throw new UserError(file + ": no decoder for its video codec (id " + par.codec_id() + ")");
            }
            this.codecName = decoder.name().getString();
            codec = avcodec_alloc_context3(decoder);
            check(avcodec_parameters_to_context(codec, par), "reading codec parameters");
            codec.thread_count(decoderThreads(decoderThreads, par.width(), par.height()));
            codec.pkt_timebase(st.time_base());
            AVDictionary codecOptions = new AVDictionary(null);
            av_dict_set(codecOptions, "max_pixels", Long.toString(Math.min(limits.maxPixels(), Integer.MAX_VALUE)), 0);
            int r2 = avcodec_open2(codec, decoder, codecOptions);
            av_dict_free(codecOptions);
            check(r2, "opening the " + codecName + " decoder");
            packet = av_packet_alloc();
            frame = av_frame_alloc();
            held = av_frame_alloc();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Decoder threads for a frame size. Frame threading keeps frames in flight per thread (about
     * three 4:2:0 frames each, measured with H.264: 3 threads held 190 MB at 4096x4096): for large
     * frames fewer threads, so they hold at most {@link #DECODER_BYTES}. The pictures are the same
     * with any count; 1080p frames on up to 13 threads keep what was asked for.
     */
    static int decoderThreads(int asked, int width, int height) {
        // FFmpeg's own choice for 0 (auto): one more than the cores, at most 16.
        int wanted = asked > 0 ? asked : Math.min(16, Runtime.getRuntime().availableProcessors() + 1);
        long perThread = 3 * Math.max(1L, (long) width * height * 3 / 2);
        int fit = (int) Math.max(1, Math.min(64, DECODER_BYTES / perThread));
        return wanted <= fit ? asked : fit;
    }

    /** What a decoder's frame threads may hold between them, roughly (see {@link #decoderThreads}). */
    static final long DECODER_BYTES = 128L << 20;

    static FfmpegVideo open(Path file, MediaLimits limits, long deadlineNanos, int decoderThreads) {
        return new FfmpegVideo(file, limits, deadlineNanos, decoderThreads);
    }

    /** Guesses the container from the first bytes, as avformat would, but so that we can refuse it first. */
    private static AVInputFormat probe(Path file) {
        byte[] head;
        try (var in = Files.newInputStream(file)) {
            head = in.readNBytes(PROBE_BYTES);
        } catch (java.io.IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        try (BytePointer buf = new BytePointer((long) head.length + AVPROBE_PADDING_SIZE);
             BytePointer name = new BytePointer(file.getFileName().toString());
             AVProbeData pd = new AVProbeData()) {
            buf.fill(0);
            buf.put(head, 0, head.length);
            pd.filename(name).buf(buf).buf_size(head.length).mime_type((BytePointer) null);
            // A retry-level score, as avformat requires before trusting a probe: a text file named
            // .mp4 must not be taken for an MP4 on the strength of its extension alone.
            int[] score = {AVPROBE_SCORE_RETRY};
            AVInputFormat f = av_probe_input_format2(pd, 1, score);
            if (f == null) {
                throw new UserError(file + ": not a video file (no known container format)");
            }
            return f;
        }
    }

    private void findStreamInfo() {
        int n = fmt.nb_streams();
        PointerPointer<AVDictionary> perStream = new PointerPointer<>(n);
        AVDictionary[] dicts = new AVDictionary[n];
        try {
            for (int i = 0; i < n; i++) {
                dicts[i] = new AVDictionary(null);
                // The probing decoders allocate too; the same cap applies to them.
                av_dict_set(dicts[i], "max_pixels", Long.toString(Math.min(limits.maxPixels(), Integer.MAX_VALUE)), 0);
                perStream.put(i, dicts[i]);
            }
            int r = avformat_find_stream_info(fmt, perStream);
            if (r < 0) {
                throw new UserError(file + ": cannot read stream information (" + error(r) + "); truncated or corrupt?");
            }
        } finally {
            for (int i = 0; i < n; i++) {
                AVDictionary d = perStream.get(AVDictionary.class, i);
                if (d != null && !d.isNull()) {
                    av_dict_free(d);
                }
            }
            perStream.close();
        }
    }

    /** The container's display matrix (e.g. an MP4 track header), applied to every frame that carries none of its own. */
    private static Orientation streamOrientation(AVCodecParameters par) {
        AVPacketSideData sd = av_packet_side_data_get(par.coded_side_data(), par.nb_coded_side_data(), AV_PKT_DATA_DISPLAYMATRIX);
        return sd == null || sd.isNull() ? Orientation.UPRIGHT : orientation(sd.data(), sd.size());
    }

    /**
     * A frame's own display matrix (from an H.264/HEVC display orientation SEI) wins over the
     * container's. The SEI persists, as the H.264 standard has it, until the next one or the next
     * keyframe (a new coded video sequence); encoders such as ffmpeg's h264_metadata send it with
     * one frame only. (Debian's ffmpeg 5.1 command line applies it to that frame alone; ffplay
     * keeps the first one for good.)
     */
    private void noteOrientation(AVFrame f) {
        AVFrameSideData sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
        if (sd != null && !sd.isNull()) {
            orientation = orientation(sd.data(), sd.size());
        } else if ((f.flags() & FRAME_FLAG_KEY) != 0) {
            orientation = streamOrientation;
        }
    }

    private static Orientation orientation(BytePointer data, long size) {
        if (data == null || data.isNull() || size < 9 * 4) {
            return Orientation.UPRIGHT;
        }
        int[] m = new int[9];
        new IntPointer(data).get(m);
        return Orientation.ofDisplayMatrix(m);
    }

    double declaredSeconds() {
        AVStream st = fmt.streams(streamIndex);
        if (st.duration() != AV_NOPTS_VALUE && st.duration() > 0) {
            return st.duration() * av_q2d(st.time_base());
        }
        if (fmt.duration() != AV_NOPTS_VALUE && fmt.duration() > 0) {
            return fmt.duration() / (double) AV_TIME_BASE;
        }
        return Double.NaN;
    }

    double frameRate() {
        AVRational r = fmt.streams(streamIndex).avg_frame_rate();
        if (r.num() > 0 && r.den() > 0) {
            return av_q2d(r);
        }
        r = fmt.streams(streamIndex).r_frame_rate();
        return r.num() > 0 && r.den() > 0 ? av_q2d(r) : Double.NaN;
    }

    int codedWidth() {
        return fmt.streams(streamIndex).codecpar().width();
    }

    int codedHeight() {
        return fmt.streams(streamIndex).codecpar().height();
    }

    /** How the first converted frame was shown (before any, how the container says to show frames). */
    Orientation orientation() {
        return firstShown != null ? firstShown : streamOrientation;
    }

    String formatName() {
        return formatName;
    }

    String codecName() {
        return codecName;
    }

    double seconds(long ts) {
        return ts * secondsPerTick;
    }

    long timestamp(double seconds) {
        return Math.round(seconds / secondsPerTick);
    }

    boolean sawDataError() {
        return dataError;
    }

    /**
     * Presentation timestamps of all video packets, read without decoding (cheap: demuxing only).
     * Stops at the end of readable data; a truncated file therefore yields the frames it has.
     */
    long[] scanTimestamps() {
        long[] out = new long[1024];
        int n = 0;
        while (true) {
            checkDeadline();
            int r = av_read_frame(fmt, packet);
            if (r < 0) {
                if (r != AVERROR_EOF()) {
                    dataError = true;
                }
                break;
            }
            try {
                if (packet.stream_index() == streamIndex) {
                    long ts = packet.pts() != AV_NOPTS_VALUE ? packet.pts() : packet.dts();
                    if (ts != AV_NOPTS_VALUE) {
                        if (n == out.length) {
                            out = java.util.Arrays.copyOf(out, n * 2);
                        }
                        out[n++] = ts;
                        if (n > 1 && seconds(ts - out[0]) > limits.maxDurationSeconds()) {
                            throw new UserError(file + ": longer than the limit of " + Math.round(limits.maxDurationSeconds()) + " s");
                        }
                    }
                }
            } finally {
                av_packet_unref(packet);
            }
        }
        long[] ts = java.util.Arrays.copyOf(out, n);
        java.util.Arrays.sort(ts);
        return java.util.Arrays.stream(ts).distinct().toArray();
    }

    /**
     * Decodes the next frame in presentation order into the internal frame; returns its
     * timestamp, or {@code null} at the end. Damaged packets are skipped, as players do.
     */
    Long decodeNext() {
        while (true) {
            checkDeadline();
            int r = avcodec_receive_frame(codec, frame);
            if (r >= 0) {
                limits.checkFrameSize(file, frame.width(), frame.height());
                noteOrientation(frame);
                long ts = frame.best_effort_timestamp();
                if (ts == AV_NOPTS_VALUE) {
                    ts = frame.pts();
                }
                if (ts == AV_NOPTS_VALUE) {
                    // No timestamp at all: continue from the previous one by the nominal frame duration.
                    double fps = frameRate();
                    long step = Double.isNaN(fps) ? 1 : Math.max(1, timestamp(1 / fps));
                    ts = lastTs == AV_NOPTS_VALUE ? 0 : lastTs + step;
                }
                lastTs = ts;
                return ts;
            }
            if (r == AVERROR_EOF()) {
                return null;
            }
            if (r != AVERROR_EAGAIN()) {
                dataError = true;
            }
            if (draining) {
                return null;
            }
            feedPacket();
        }
    }

    private void feedPacket() {
        while (!endOfData) {
            int r = av_read_frame(fmt, packet);
            if (r < 0) {
                if (r != AVERROR_EOF()) {
                    dataError = true;
                }
                endOfData = true;
                break;
            }
            try {
                if (packet.stream_index() != streamIndex) {
                    continue;
                }
                int s = avcodec_send_packet(codec, packet);
                if (s < 0 && s != AVERROR_EAGAIN()) {
                    dataError = true;
                    continue;
                }
                return;
            } finally {
                av_packet_unref(packet);
            }
        }
        avcodec_send_packet(codec, null);
        draining = true;
    }

    /** Keeps the current frame (by reference, no copy) so a later frame can be decoded first. */
    void holdCurrent() {
        av_frame_unref(held);
        av_frame_move_ref(held, frame);
        heldTs = lastTs;
        heldOrientation = orientation;
    }

    long heldTimestamp() {
        return heldTs;
    }

    /** The stream's first presentation timestamp (its origin for "seconds from the start"). */
    long startTimestamp() {
        long s = fmt.streams(streamIndex).start_time();
        return s == AV_NOPTS_VALUE ? 0 : s;
    }

    Path file() {
        return file;
    }

    boolean hasHeld() {
        return held.buf(0) != null && !held.buf(0).isNull();
    }

    void dropHeld() {
        av_frame_unref(held);
    }

    NativeFrame convertCurrent() {
        return convert(frame, orientation);
    }

    NativeFrame convertHeld() {
        return convert(held, heldOrientation);
    }

    /** Seeks to the keyframe at or before {@code ts}; false if the file cannot seek. */
    boolean seekBefore(long ts) {
        int r = av_seek_frame(fmt, streamIndex, ts, AVSEEK_FLAG_BACKWARD);
        if (r < 0) {
            return false;
        }
        avcodec_flush_buffers(codec);
        draining = false;
        endOfData = false;
        dropHeld();
        return true;
    }

    /**
     * The frame as upright BGR pixels: only frames that are kept pay for colour conversion. The
     * pixels stay in native memory, refilled for each frame, and are valid until the next conversion.
     */
    private NativeFrame convert(AVFrame f, Orientation shown) {
        int w = f.width();
        int h = f.height();
        limits.checkFrameSize(file, w, h);
        sws = sws_getCachedContext(sws, w, h, f.format(), w, h, AV_PIX_FMT_BGR24, SWS_BILINEAR, null, null, (DoublePointer) null);
        if (sws == null) {
            throw new UserError(file + ": cannot convert pixel format " + f.format());
        }
        org.bytedeco.opencv.opencv_core.Mat dst = decoded.reshape(w, h);
        try (BytePointer data = dst.data();
             PointerPointer<BytePointer> dstPlanes = new PointerPointer<>(data, null, null, null);
             IntPointer dstStride = new IntPointer((int) dst.step(), 0, 0, 0);
             PointerPointer<?> srcPlanes = new PointerPointer<>(f)) {
            sws_scale(sws, srcPlanes, f.linesize(), 0, h, dstPlanes, dstStride);
        }
        firstShown = firstShown != null ? firstShown : shown;
        return shown.apply(decoded, mirrored, turned);
    }

    private void checkDeadline() {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new UserError(file + ": decoding took longer than the limit of " + Math.round(limits.maxDecodeSeconds()) + " s");
        }
    }

    private void check(int r, String what) {
        if (r < 0) {
            throw new UserError(file + ": " + what + " failed (" + error(r) + ")");
        }
    }

    static String error(int code) {
        byte[] buf = new byte[256];
        av_strerror(code, buf, buf.length);
        int len = 0;
        while (len < buf.length && buf[len] != 0) {
            len++;
        }
        return new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        decoded.close();
        turned.close();
        mirrored.close();
        if (sws != null) {
            sws_freeContext(sws);
            sws = null;
        }
        if (frame != null) {
            av_frame_free(frame);
            frame = null;
        }
        if (held != null) {
            av_frame_free(held);
            held = null;
        }
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (codec != null) {
            avcodec_free_context(codec);
            codec = null;
        }
        if (fmt != null) {
            avformat_close_input(fmt);
            fmt = null;
        }
    }
}
