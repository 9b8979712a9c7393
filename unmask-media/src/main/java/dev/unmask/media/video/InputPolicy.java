package dev.unmask.media.video;

import dev.unmask.core.UserError;
import dev.unmask.media.pixels.MediaLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * What Unmask agrees to open. Media files are untrusted: FFmpeg will happily follow a playlist or
 * a concat list to other files or to URLs, and expand {@code %d} patterns into file sequences.
 * So only local regular files are opened, playlist-like files are refused by name and by content
 * before FFmpeg sees them, and FFmpeg is restricted to the {@code file} protocol and to container
 * formats that hold their own media.
 */
public final class InputPolicy {
    /** FFmpeg demuxers that only read the one file they are given (short names; see format_whitelist). */
    public static final Set<String> ALLOWED_FORMATS = Set.of(
            "mov", "mp4", "matroska", "webm", "avi", "flv", "mpegts", "mpeg", "ogg", "asf", "m4v", "h264", "hevc",
            "ivf", "gif", "mjpeg", "mxf", "obu",
            // audio-only containers are opened so that the error can say "no video stream"
            "mp3", "wav", "aac", "flac");

    /** Formats that point at other files or URLs: refused with a message that says so. */
    private static final Set<String> PLAYLIST_FORMATS = Set.of("hls", "applehttp", "concat", "ffconcat", "dash",
            "webm_dash_manifest", "image2", "image2pipe", "tee", "sdp", "rtsp", "rtp", "smil", "imf", "fifo");

    private static final Set<String> PLAYLIST_EXTENSIONS = Set.of("m3u8", "m3u", "ffconcat", "concat", "pls", "xspf",
            "asx", "mpd", "sdp", "smil");

    private InputPolicy() {}

    /** The checks that need no decoder: a local, non-empty regular file of bounded size that is not a playlist. */
    public static void checkFile(Path file, MediaLimits limits) {
        if (!Files.exists(file)) {
            throw new UserError(file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": not a regular file");
        }
        String ext = extension(file);
        if (PLAYLIST_EXTENSIONS.contains(ext)) {
            throw new UserError(file + ": playlists and concat lists are refused (they make FFmpeg open other files"
                    + " or URLs); give the video file itself");
        }
        long size;
        byte[] head;
        try {
            size = Files.size(file);
            try (InputStream in = Files.newInputStream(file)) {
                head = in.readNBytes(64);
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (size == 0) {
            throw new UserError(file + ": empty file (0 bytes)");
        }
        if (size > limits.maxFileBytes()) {
            throw new UserError(file + ": " + size + " bytes is over the limit of " + limits.maxFileBytes());
        }
        String start = new String(head, StandardCharsets.ISO_8859_1).stripLeading();
        if (start.startsWith("\uFEFF")) {
            start = start.substring(1);
        }
        String lower = start.toLowerCase(Locale.ROOT);
        if (lower.startsWith("#extm3u") || lower.startsWith("ffconcat") || lower.startsWith("[playlist]")
                || (lower.startsWith("<?xml") && (lower.contains("<mpd") || lower.contains("<smil")))) {
            throw new UserError(file + ": is a playlist or concat list; these are refused (they make FFmpeg open other"
                    + " files or URLs)");
        }
    }

    /** Checks FFmpeg's probed format name (possibly a comma list such as "mov,mp4,m4a,3gp,3g2,mj2"). */
    public static void checkFormat(Path file, String formatName) {
        for (String name : formatName.split(",")) {
            if (name.equals("image2") || name.equals("image2pipe")) {
                // FFmpeg guessed a still-image sequence from the name alone: the content is no image Unmask reads.
                throw new UserError(file + ": not a readable image or video (named like an image, but not a PNG, JPEG or BMP"
                        + " Unmask can read, nor a video)");
            }
            if (PLAYLIST_FORMATS.contains(name)) {
                throw new UserError(file + ": FFmpeg reads it as '" + name + "', a playlist or multi-file format; refused"
                        + " (it would open other files or URLs)");
            }
        }
        for (String name : formatName.split(",")) {
            if (ALLOWED_FORMATS.contains(name)) {
                return;
            }
        }
        throw new UserError(file + ": not a video format Unmask opens (FFmpeg reads it as '" + formatName + "')");
    }

    /** The format whitelist handed to FFmpeg itself, so that no other demuxer can run even by mistake. */
    static String formatWhitelist() {
        return String.join(",", ALLOWED_FORMATS.stream().sorted().toList());
    }

    static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
