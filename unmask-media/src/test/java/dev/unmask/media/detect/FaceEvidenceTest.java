package dev.unmask.media.detect;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.unmask.core.detector.Detector;
import dev.unmask.media.FacePipeline;
import dev.unmask.media.GeneratedMedia;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.RandomDetector;
import dev.unmask.media.TestMedia;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceEvidence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A verdict needs a face: BlazeFace now and then sees one in a fractal, text or clouds, weakly and
 * in a frame or two, and a detector's score on such a phantom is a verdict on nothing. Faceless
 * media held out from the tuning of {@link FaceEvidence} must all come out {@code no_face}, and
 * real faces at many scales, crops, lighting levels and compressions must all be judged. The
 * detector is a random head on a tiny backbone: what is checked is which files are judged, not how.
 */
class FaceEvidenceTest {
    static final int FRAMES = 32;

    @TempDir
    static Path dir;
    static Path detectorFile;

    @BeforeAll
    static void detector() throws Exception {
        TestMedia.requireFfmpeg();
        TestMedia.requireBlazeFaceModel();
        detectorFile = RandomDetector.write(dir, 7);
    }

    static List<FileReport> detect(List<Path> files, FaceEvidence evidence) {
        List<FileReport> reports = new ArrayList<>();
        PipelineConfig config = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(FRAMES));
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detectorFile, null, m);
             FacePipeline pipeline = FacePipeline.open(FaceDetectorKind.BLAZEFACE, config)) {
            new DetectionRun(d, pipeline, new DetectSettings(16, false, 1, null, null, 64, evidence)).run(files, reports::add);
        }
        return reports;
    }

    @Test
    void facelessMediaAreNotJudgedAndFacesAre() {
        List<GeneratedMedia.Recipe> faceless = GeneratedMedia.facelessHeldOut();
        List<GeneratedMedia.Recipe> faces = GeneratedMedia.faces();
        assertThat(faceless).hasSizeGreaterThanOrEqualTo(30);
        assertThat(faces).hasSizeGreaterThanOrEqualTo(10);
        List<Path> files = new ArrayList<>();
        faceless.forEach(r -> files.add(r.make()));
        faces.forEach(r -> files.add(r.make()));
        long t0 = System.nanoTime();
        List<FileReport> reports = detect(files, FaceEvidence.DEFAULT);
        assertThat(reports).hasSize(files.size());
        int withWeakFaces = 0;
        double strongestPhantom = 0;
        for (int i = 0; i < faceless.size(); i++) {
            FileReport r = reports.get(i);
            assertThat(r.verdict()).as(r.path() + ": " + r).isEqualTo(Verdict.NO_FACE);
            withWeakFaces += r.weakFaces().isEmpty() ? 0 : 1;
            for (FileReport.WeakFace w : r.weakFaces()) {
                strongestPhantom = Math.max(strongestPhantom, w.faceConfidence());
            }
        }
        double weakestFace = 1;
        for (int i = faceless.size(); i < files.size(); i++) {
            FileReport r = reports.get(i);
            assertThat(r.verdict()).as(r.path() + ": " + r).isIn(Verdict.FAKE, Verdict.REAL);
            for (FileReport.FaceScore f : r.faces()) {
                weakestFace = Math.min(weakestFace, f.faceConfidence());
            }
        }
        System.out.printf("%d faceless files: all no_face, %d with weak detections (strongest %.3f); %d files with faces: all judged"
                + " (weakest judged face %.3f); %.1f s%n", faceless.size(), withWeakFaces, strongestPhantom, faces.size(), weakestFace,
                (System.nanoTime() - t0) / 1e9);
        // The rule must have had something to refuse: the held-out clouds make BlazeFace see faces.
        assertThat(withWeakFaces).as("faceless files on which BlazeFace saw a face").isPositive();
    }

    @Test
    void aFaceSeenInOneOrTwoFramesIsListedAsWeakNotJudged() {
        FileReport r = detect(List.of(GeneratedMedia.faceFlash().make()), FaceEvidence.DEFAULT).get(0);
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Verdict.NO_FACE);
        assertThat(r.faces()).isEmpty();
        assertThat(r.weakFaces()).isNotEmpty().allSatisfy(w -> {
            assertThat(w.faceConfidence()).isGreaterThan(FaceEvidence.BLAZEFACE_MIN_CONFIDENCE);
            assertThat(w.reason()).contains("of " + r.framesSampled() + " sampled frames");
        });
        assertThat(r.weakFaces().get(0).faceConfidence()).isGreaterThanOrEqualTo(FaceEvidence.BLAZEFACE_MIN_CONFIDENCE);
        assertThat(r.score()).isNaN();
        // The same detections, with every detection counting as a face (what detect did before the rule), are judged.
        FileReport any = detect(List.of(GeneratedMedia.faceFlash().make()), FaceEvidence.ANY).get(0);
        assertThat(any.verdict()).isIn(Verdict.FAKE, Verdict.REAL);
        assertThat(any.faces()).hasSize(r.weakFaces().size());
    }

    @Test
    void framesNeededFollowTheRule() {
        FaceEvidence e = FaceEvidence.DEFAULT;
        int[][] cases = {{1, 1}, {2, 2}, {3, 3}, {16, 3}, {30, 3}, {31, 4}, {32, 4}, {100, 10}, {101, 11}};
        for (int[] c : cases) {
            assertThat(e.framesNeeded(c[0])).as("frames needed of %d", c[0]).isEqualTo(c[1]);
        }
        assertThat(e.supported(1, 1)).as("a still image's face").isTrue();
        assertThat(e.supported(2, 32)).isFalse();
    }
}
