package dev.unmask.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.media.TestMedia;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What an upload is, from its first bytes: real files of each container FFmpeg writes, and the signatures of the rest. */
class MediaSnifferTest {
    @Test
    void realImagesAndVideosAreRecognisedByContent() throws Exception {
        assertThat(sniff(TestMedia.photo("astronaut.png"))).isEqualTo("image/png");
        assertThat(sniff(TestMedia.photo("rocket.jpg"))).isEqualTo("image/jpg");
        assertThat(sniff(TestMedia.astronautMp4())).isEqualTo("video/mp4");
        assertThat(sniff(TestMedia.astronautWebm())).isEqualTo("video/mkv");
        assertThat(sniff(TestMedia.astronautAvi())).isEqualTo("video/avi");
    }

    @Test
    void signaturesOfOtherFormatsAreKnown() {
        assertThat(kind(bytes("GIF89a", 20))).isEqualTo("image/gif");
        assertThat(kind(bytes("BM", 20))).isEqualTo("image/bmp");
        assertThat(kind(bytes("RIFF\0\0\0\0WEBPVP8 ", 30))).isEqualTo("image/webp");
        assertThat(kind(bytes("\0\0\0\u0018ftypqt  ", 30))).isEqualTo("video/mov");
        assertThat(kind(bytes("\0\0\0\u0018ftypheic", 30))).isEqualTo("image/heic");
        byte[] ts = new byte[600];
        ts[0] = 0x47;
        ts[188] = 0x47;
        ts[376] = 0x47;
        assertThat(kind(ts)).isEqualTo("video/ts");
    }

    @Test
    void anythingElseIsNeither() {
        assertThat(MediaSniffer.sniff(bytes("Good morning, this is text and not a video at all", 600), 600)).isNull();
        assertThat(MediaSniffer.sniff("%PDF-1.7".getBytes(StandardCharsets.US_ASCII), 8)).isNull();
        assertThat(MediaSniffer.sniff(new byte[] {0x7f, 'E', 'L', 'F'}, 4)).isNull();
        assertThat(MediaSniffer.sniff(new byte[0], 0)).isNull();
        assertThat(MediaSniffer.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8}, 2)).isNull();
    }

    private static String sniff(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return kind(in.readNBytes(MediaSniffer.HEAD));
        }
    }

    private static String kind(byte[] head) {
        MediaSniffer.Sniffed s = MediaSniffer.sniff(head, head.length);
        return s == null ? null : s.kind() + "/" + s.extension();
    }

    private static byte[] bytes(String start, int length) {
        byte[] b = new byte[Math.max(length, start.length())];
        byte[] s = start.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(s, 0, b, 0, s.length);
        return b;
    }
}
