package dev.unmask.media;

import dev.unmask.media.pixels.MediaLimits;

import dev.unmask.media.pixels.Picture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FacePipelineTest {
    static FacePipeline pipeline;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void open() {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        pipeline = FacePipeline.open(FaceDetectorKind.BLAZEFACE,
                PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(8)));
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    @Test
    void aFaceIsFoundInEverySampledFrameOfEachContainerAndCodec() {
        for (Path video : List.of(TestMedia.astronautMp4(), TestMedia.astronautWebm(), TestMedia.astronautAvi(), TestMedia.astronautRotatedMp4())) {
            MediaFaces m = pipeline.process(video);
            assertThat(m.framesSampled()).as(video.toString()).isEqualTo(8);
            assertThat(m.framesWithFaces()).as(video.toString()).isEqualTo(8);
            assertThat(m.crops()).hasSize(8);
            for (Crop c : m.crops()) {
                assertThat(c.pixels().width()).isEqualTo(224);
                assertThat(c.pixels().height()).isEqualTo(224);
                assertThat(c.track()).isZero();
            }
        }
    }

    /**
     * The crop is centred on the face: BlazeFace, run again on the crop, finds it in the middle at
     * about 1/1.3 of the side. (The full-range model is made for faces at a distance and misses
     * one that fills the frame, so the crop is shown to it in the middle of a black canvas.)
     */
    @Test
    void cropsHoldTheFaceCentredWithTheMargin() {
        MediaFaces m = pipeline.process(TestMedia.astronautMp4());
        try (var detector = FaceDetectorKind.BLAZEFACE.open()) {
            for (Crop c : m.crops()) {
                var faces = detector.detect(onCanvas(c.pixels(), 672));
                assertThat(faces).hasSize(1);
                var b = faces.get(0).box();
                assertThat(b.centerX() - 224).isBetween(224 * 0.4, 224 * 0.6);
                assertThat(b.centerY() - 224).isBetween(224 * 0.4, 224 * 0.6);
                assertThat(b.width()).isBetween(224 / 1.3 * 0.8, 224 / 1.3 * 1.2);
            }
        }
    }

    static Picture onCanvas(Picture p, int side) {
        byte[] out = new byte[side * side * 3];
        int off = (side - p.width()) / 2;
        for (int y = 0; y < p.height(); y++) {
            System.arraycopy(p.bgr(), y * p.width() * 3, out, ((y + off) * side + off) * 3, p.width() * 3);
        }
        return new Picture(side, side, out);
    }

    @Test
    void noFaceWhereThereIsNone() {
        MediaFaces m = pipeline.process(TestMedia.coffeeMp4());
        assertThat(m.framesSampled()).isEqualTo(8);
        assertThat(m.noFace()).isTrue();
    }

    @Test
    void aStillImageIsOneFrame() {
        MediaFaces m = pipeline.process(TestMedia.photo("astronaut.png"));
        assertThat(m.info().format()).isEqualTo("image");
        assertThat(m.crops()).hasSize(1);
    }

    @Test
    void allFacesAreTrackedPersonByPerson() {
        Path two = TestMedia.video("two-people.mp4", "-loop", "1", "-framerate", "25", "-t", "1", "-i", TestMedia.photo("astronaut.png").toString(),
                "-filter_complex", "[0]split[a][b];[a][b]hstack,scale=640:320", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p");
        try (FacePipeline all = FacePipeline.open(FaceDetectorKind.BLAZEFACE, PipelineConfig.DEFAULT.withSelection(FaceSelection.ALL)
                .withSampler(PipelineConfig.DEFAULT.sampler().withFrames(4)))) {
            MediaFaces m = all.process(two);
            assertThat(m.tracks()).isEqualTo(2);
            assertThat(m.crops()).hasSize(8);
            for (Crop c : m.crops()) {
                // Each track stays on its own half of the frame.
                boolean left = c.face().box().centerX() < 320;
                assertThat(left).isEqualTo(m.crops().stream().filter(o -> o.track() == c.track()).findFirst().orElseThrow()
                        .face().box().centerX() < 320);
            }
        }
        try (FacePipeline capped = FacePipeline.open(FaceDetectorKind.BLAZEFACE, PipelineConfig.DEFAULT.withSelection(FaceSelection.ALL)
                .withSampler(PipelineConfig.DEFAULT.sampler().withFrames(4).withLimits(MediaLimits.DEFAULT.withMaxFacesPerFrame(1))))) {
            assertThat(capped.process(two).crops()).hasSize(4);
        }
    }

    @Test
    void anImageBombIsRefusedFromItsHeader() throws Exception {
        Path bomb = TestMedia.write(tmp.resolve("bomb.png"), png(100_000, 100_000));
        long before = Runtime.getRuntime().totalMemory();
        assertThatThrownBy(() -> pipeline.process(bomb)).isInstanceOf(UserError.class)
                .hasMessage(bomb + ": frame size 100000x100000 is over the limit of " + MediaLimits.DEFAULT.maxPixels() + " pixels");
        assertThat(Runtime.getRuntime().totalMemory() - before).isLessThan(1L << 30);
    }

    /** A tiny PNG whose header declares the given size (its data is one empty compressed block). */
    static byte[] png(int w, int h) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream i = new DataOutputStream(ihdr);
        i.writeInt(w);
        i.writeInt(h);
        i.write(new byte[] {8, 2, 0, 0, 0});
        chunk(d, "IHDR", ihdr.toByteArray());
        chunk(d, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(d, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(DataOutputStream d, String type, byte[] data) throws Exception {
        d.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
