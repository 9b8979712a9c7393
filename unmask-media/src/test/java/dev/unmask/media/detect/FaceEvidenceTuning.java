package dev.unmask.media.detect;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.unmask.media.FacePipeline;
import dev.unmask.media.GeneratedMedia;
import dev.unmask.media.PipelineConfig;
import dev.unmask.media.TestMedia;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.face.FaceSelection;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The measurement that chose {@link dev.unmask.media.face.FaceEvidence#BLAZEFACE_MIN_CONFIDENCE}:
 * every BlazeFace detection (down to the model's own floor of 0.6) on the tuning set of faceless
 * media and on the face media, per track: frames seen in and confidences. Not part of the suite;
 * run with {@code UNMASK_TUNE_FACE_EVIDENCE=1 mvn ... -Dtest=FaceEvidenceTuning}.
 */
class FaceEvidenceTuning {
    @Test
    void printDetections() {
        assumeTrue(System.getenv("UNMASK_TUNE_FACE_EVIDENCE") != null, "a measurement, run on request");
        TestMedia.requireBlazeFaceModel();
        PipelineConfig config = PipelineConfig.DEFAULT.withSampler(PipelineConfig.DEFAULT.sampler().withFrames(FaceEvidenceTest.FRAMES))
                .withSelection(FaceSelection.ALL);
        try (FacePipeline p = FacePipeline.open(FaceDetectorKind.BLAZEFACE, config)) {
            String only = System.getenv("UNMASK_TUNE_FACE_EVIDENCE");
            if (only.startsWith("/")) {
                print(only, List.of(new GeneratedMedia.Recipe(only, List.of())), p);
                return;
            }
            print("faceless (tuning)", GeneratedMedia.facelessTuning(), p);
            print("faces", GeneratedMedia.faces(), p);
            if (System.getenv("UNMASK_TUNE_FACE_EVIDENCE").equals("all")) {
                print("faceless (held out)", GeneratedMedia.facelessHeldOut(), p);
            }
        }
    }

    private static void print(String title, List<GeneratedMedia.Recipe> recipes, FacePipeline p) {
        System.out.println("== " + title);
        for (GeneratedMedia.Recipe r : recipes) {
            Path file = r.name().startsWith("/") ? Path.of(r.name()) : r.make();
            Map<Integer, double[]> tracks = new TreeMap<>();
            FacePipeline.FaceStream s = p.process(file, 0, (frame, crops) -> crops.forEach(c -> {
                double[] t = tracks.computeIfAbsent(c.track(), k -> new double[] {0, 1, 0});
                t[0]++;
                t[1] = Math.min(t[1], c.face().score());
                t[2] = Math.max(t[2], c.face().score());
            }));
            StringBuilder sb = new StringBuilder(String.format("%-32s %2d frames:", r.name(), s.framesSampled()));
            tracks.forEach((t, v) -> sb.append(String.format(" [track %d: %d frames, confidence %.3f-%.3f]", t, (int) v[0], v[1], v[2])));
            System.out.println(sb);
        }
    }
}
