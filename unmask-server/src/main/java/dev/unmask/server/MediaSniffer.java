package dev.unmask.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Tells images and videos from anything else by their first bytes (magic numbers), never by the
 * name a client gave: the decoders behind a check must only ever see media.
 */
final class MediaSniffer {
    /** Bytes read from the start of an upload to decide; every signature below fits. */
    static final int HEAD = 512;

    /** What an upload is: its kind ("image" or "video") and the file extension it is stored under. */
    record Sniffed(String kind, String extension) {}

    private MediaSniffer() {}

    /** The media type of content starting with {@code head}, or null when it is neither image nor video. */
    static Sniffed sniff(byte[] head, int length) {
        byte[] h = Arrays.copyOf(head, Math.max(length, 0));
        if (starts(h, 0, 0xFF, 0xD8, 0xFF)) {
            return new Sniffed("image", "jpg");
        }
        if (starts(h, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return new Sniffed("image", "png");
        }
        if (ascii(h, 0, "BM") && h.length >= 14) {
            return new Sniffed("image", "bmp");
        }
        if (ascii(h, 0, "GIF87a") || ascii(h, 0, "GIF89a")) {
            return new Sniffed("image", "gif");
        }
        if (ascii(h, 0, "RIFF") && ascii(h, 8, "WEBP")) {
            return new Sniffed("image", "webp");
        }
        if (ascii(h, 0, "RIFF") && ascii(h, 8, "AVI ")) {
            return new Sniffed("video", "avi");
        }
        if (ascii(h, 4, "ftyp")) {
            String brand = h.length >= 12 ? new String(h, 8, 4, StandardCharsets.US_ASCII) : "";
            // HEIF/AVIF stills share the ISO box layout with MP4 and MOV; they are images.
            if (brand.startsWith("heic") || brand.startsWith("heix") || brand.startsWith("mif1") || brand.startsWith("avif")) {
                return new Sniffed("image", "heic");
            }
            return new Sniffed("video", brand.startsWith("qt") ? "mov" : "mp4");
        }
        if (ascii(h, 4, "moov") || ascii(h, 4, "mdat") || ascii(h, 4, "wide") || ascii(h, 4, "free")) {
            return new Sniffed("video", "mov");
        }
        if (starts(h, 0, 0x1A, 0x45, 0xDF, 0xA3)) {
            return new Sniffed("video", "mkv");
        }
        // MPEG transport stream: a sync byte at the start of every 188-byte packet (one alone could be text).
        if (h.length > 376 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47) {
            return new Sniffed("video", "ts");
        }
        if (starts(h, 0, 0x00, 0x00, 0x01, 0xBA) || starts(h, 0, 0x00, 0x00, 0x01, 0xB3)) {
            return new Sniffed("video", "mpg");
        }
        if (starts(h, 0, 0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11)) {
            return new Sniffed("video", "wmv");
        }
        if (ascii(h, 0, "FLV")) {
            return new Sniffed("video", "flv");
        }
        return null;
    }

    private static boolean starts(byte[] h, int at, int... bytes) {
        if (h.length < at + bytes.length) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            if ((h[at + i] & 0xFF) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] h, int at, String s) {
        return starts(h, at, s.chars().toArray());
    }
}
