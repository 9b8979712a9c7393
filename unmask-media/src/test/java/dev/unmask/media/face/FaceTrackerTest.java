package dev.unmask.media.face;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FaceTrackerTest {
    static Face face(double x, double y, double side) {
        return new Face(new Box(x, y, side, side), 0.9, List.of());
    }

    @Test
    void eachPersonKeepsTheirTrackWhileMovingAndWhateverTheDetectionOrder() {
        FaceTracker t = new FaceTracker(FaceTracker.DEFAULT_MIN_IOU);
        assertThat(t.assign(List.of(face(10, 10, 100), face(300, 20, 80)))).containsExactly(0, 1);
        // Both moved a little; the detector lists them the other way round.
        assertThat(t.assign(List.of(face(310, 25, 80), face(20, 12, 100)))).containsExactly(1, 0);
        // Person 0 missed in this frame, a new person appears.
        assertThat(t.assign(List.of(face(315, 25, 80), face(150, 300, 90)))).containsExactly(1, 2);
        // Person 0 is back near where last seen.
        assertThat(t.assign(List.of(face(25, 15, 100)))).containsExactly(0);
    }

    @Test
    void aFaceFarFromEveryTrackStartsANewOne() {
        FaceTracker t = new FaceTracker(FaceTracker.DEFAULT_MIN_IOU);
        t.assign(List.of(face(0, 0, 50)));
        assertThat(t.assign(List.of(face(200, 200, 50)))).containsExactly(1);
    }
}
