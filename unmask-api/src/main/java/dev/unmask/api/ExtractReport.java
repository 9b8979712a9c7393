package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.unmask.media.extract.ExtractSummary;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a face extraction run did: videos found, done before (resumed), done now, with faces,
 * without, failed (listed in errors.csv), the datalists written and their content per split, and
 * where the time went. It is {@code unmask extract --json}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "out", "videos", "done_before", "done_now", "with_faces", "without_faces", "errors", "splits", "datalists",
    "seconds", "decode_seconds", "face_detection_seconds", "frames_detected"})
public record ExtractReport(int schemaVersion, String out, int videos, int doneBefore, int doneNow, int withFaces, int withoutFaces, int errors,
        Map<String, Split> splits, List<String> datalists, double seconds, double decodeSeconds, double faceDetectionSeconds, long framesDetected) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Split(int realVideos, int fakeVideos, long realCrops, long fakeCrops) {}

    static ExtractReport of(Path out, ExtractSummary s) {
        Map<String, Split> splits = new LinkedHashMap<>();
        s.splits().forEach((k, c) -> splits.put(k, new Split(c.realVideos(), c.fakeVideos(), c.realCrops(), c.fakeCrops())));
        return new ExtractReport(Unmask.SCHEMA_VERSION, out.toString(), s.videos(), s.skipped(), s.processed(), s.ok(), s.noFace(), s.errors(), splits,
                s.datalists().stream().map(Path::toString).toList(), s.seconds(), s.decodeSeconds(), s.detectSeconds(), s.framesDetected());
    }
}
