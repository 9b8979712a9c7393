package dev.unmask.media.pixels;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.opencv.global.opencv_core;

/**
 * Process-wide settings for the native media libraries, applied once before first use. FFmpeg and
 * OpenCV are set up separately, each when first needed: loading a native library costs a few
 * hundred milliseconds of a cold start (unmask bench startup), and a still image needs no FFmpeg.
 */
public final class Natives {
    private static volatile boolean ffmpeg;
    private static volatile boolean opencv;

    private Natives() {}

    /**
     * Loads the libraries asked for on a daemon thread, so that a cold start loads them while
     * the main thread loads the engine and the detector's weights (on 2 cores the two overlap);
     * the first real use then finds them loaded, or waits for the load under way.
     */
    public static void loadInBackground(boolean withFfmpeg, boolean withOpencv) {
        if ((!withFfmpeg || ffmpeg) && (!withOpencv || opencv)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                if (withOpencv) {
                    opencv();
                    org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_imgcodecs.class);
                    org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_dnn.class);
                }
                if (withFfmpeg) {
                    ffmpeg();
                    org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.avformat.class);
                    org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.swscale.class);
                }
            } catch (Throwable e) {
                // The first real use loads them again and reports what is wrong there.
            }
        }, "unmask-natives");
        t.setDaemon(true);
        t.start();
    }

    /** Both libraries (for callers that use both). */
    public static void init() {
        ffmpeg();
        opencv();
    }

    /** FFmpeg, for reading videos. */
    public static void ffmpeg() {
        if (ffmpeg) {
            return;
        }
        synchronized (Natives.class) {
            if (ffmpeg) {
                return;
            }
            // Unmask reports each file's problem itself, in one line; FFmpeg's own log would
            // interleave with the progress bar and repeat the same thing less clearly.
            avutil.av_log_set_level(System.getenv("UNMASK_DEBUG") != null ? avutil.AV_LOG_WARNING : avutil.AV_LOG_QUIET);
            ffmpeg = true;
        }
    }

    /** OpenCV, for decoding images, face detection, crops and drawing. */
    public static void opencv() {
        if (opencv) {
            return;
        }
        synchronized (Natives.class) {
            if (opencv) {
                return;
            }
            // Measured: BlazeFace is no slower single-threaded and parallelism comes from
            // processing several videos at once, so OpenCV's own pool only adds context switches.
            opencv_core.setNumThreads(1);
            opencv = true;
        }
    }
}
