package dev.unmask.media.pixels;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.opencv.global.opencv_core;

/** Process-wide settings for the native media libraries, applied once before first use. */
public final class Natives {
    private static volatile boolean initialised;

    private Natives() {}

    public static void init() {
        if (initialised) {
            return;
        }
        synchronized (Natives.class) {
            if (initialised) {
                return;
            }
            // Unmask reports each file's problem itself, in one line; FFmpeg's own log would
            // interleave with the progress bar and repeat the same thing less clearly.
            avutil.av_log_set_level(System.getenv("UNMASK_DEBUG") != null ? avutil.AV_LOG_WARNING : avutil.AV_LOG_QUIET);
            // Measured: BlazeFace is no slower single-threaded and parallelism comes from
            // processing several videos at once, so OpenCV's own pool only adds context switches.
            opencv_core.setNumThreads(1);
            initialised = true;
        }
    }
}
