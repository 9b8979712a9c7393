package dev.unmask.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private static final ProgressBar.Unit FILES = ProgressBar.Unit.of("files");

    /** A clock the test moves by hand. */
    private static final class Clock {
        long nanos = 1_000_000_000L;

        void seconds(double s) {
            nanos += (long) (s * 1e9);
        }
    }

    private final StringWriter out = new StringWriter();
    private final Clock clock = new Clock();

    private ProgressBar bar(boolean interactive, long total) {
        return new ProgressBar(new PrintWriter(out), interactive, "detect", total, FILES, 0, () -> clock.nanos);
    }

    @Test
    void theLineShowsTheBarTheCountTheRateAndTheTimeLeft() {
        // 10 of 40 in 5 s: 2 files/s, 30 left, 15 s to go.
        assertThat(ProgressBar.render("detect", 10, 40, 10, 5.0, FILES, null))
                .isEqualTo("detect [=======>                      ] 10/40 files 2.00 files/s ETA 0:15");
        assertThat(ProgressBar.render("detect", 40, 40, 40, 8.0, FILES, "1 error"))
                .isEqualTo("detect [==============================] 40/40 files 5.00 files/s ETA 0:00  1 error");
        // Work done before this run (a resumed download) counts in the bar but not in the rate.
        assertThat(ProgressBar.render("model.safetensors", 3 << 19, 2 << 20, 1 << 19, 1.0, ProgressBar.Unit.BYTES, null))
                .isEqualTo("model.safetensors [======================>       ] 1.5 MiB/2.0 MiB 512.0 KiB/s ETA 0:01");
        assertThat(ProgressBar.render("x", 0, 7200, 0, 0.0, ProgressBar.Unit.of(""), null)).isEqualTo("x [>                             ] 0/7200 --/s ETA --:--");
        assertThat(ProgressBar.render("x", 1, 7201, 1, 1.0, ProgressBar.Unit.of(""), null)).endsWith("1/7201 1.00/s ETA 2:00:00");
        assertThat(ProgressBar.render("pull", 3_072, 0, 3_072, 1.0, ProgressBar.Unit.BYTES, null)).as("total unknown").isEqualTo("pull 3.0 KiB 3.0 KiB/s");
    }

    @Test
    void clocksReadLikeClocks() {
        assertThat(ProgressBar.clock(75)).isEqualTo("1:15");
        assertThat(ProgressBar.clock(3725)).isEqualTo("1:02:05");
        assertThat(ProgressBar.clock(Double.POSITIVE_INFINITY)).isEqualTo("--:--");
    }

    @Test
    void aTerminalIsRedrawnInPlaceAtMostFourTimesASecond() {
        ProgressBar b = bar(true, 100);
        clock.seconds(1);
        b.update(1);
        for (int i = 2; i <= 20; i++) {
            clock.seconds(0.01);
            b.update(i);
        }
        clock.seconds(0.3);
        b.update(21);
        String[] draws = out.toString().split("\r", -1);
        assertThat(draws).hasSize(3);
        assertThat(draws[1]).startsWith("detect [>").contains(" 1/100 files 1.00 files/s ETA 1:39").endsWith("\u001b[K");
        assertThat(draws[2]).contains(" 21/100 files ");
        assertThat(out.toString()).doesNotContain("\n");

        // A message takes the bar away, and the next update brings it back at once.
        b.message("clip.mp4: truncated");
        clock.seconds(0.01);
        b.update(22);
        assertThat(out.toString()).contains("\r\u001b[Kclip.mp4: truncated\n\rdetect [");
        b.close();
        assertThat(out.toString()).endsWith("\r\u001b[K");
        int length = out.toString().length();
        b.update(23);
        assertThat(out.toString()).as("closed").hasSize(length);
    }

    @Test
    void aLogGetsAPlainLineEveryTenSecondsAndNoneForShortWork() {
        ProgressBar shortWork = bar(false, 3);
        for (int i = 1; i <= 3; i++) {
            clock.seconds(1);
            shortWork.update(i);
        }
        shortWork.close();
        assertThat(out.toString()).isEmpty();

        ProgressBar b = bar(false, 30);
        for (int i = 1; i <= 30; i++) {
            clock.seconds(1);
            b.update(i);
        }
        b.close();
        // Lines at 10 s and 20 s, and the end, since this work was long enough to be logged at all.
        assertThat(out.toString().lines()).containsExactly(
                "detect [==========>                   ] 10/30 files 1.00 files/s ETA 0:20",
                "detect [====================>         ] 20/30 files 1.00 files/s ETA 0:10",
                "detect [==============================] 30/30 files 1.00 files/s ETA 0:00");
        assertThat(out.toString()).doesNotContain("\r").doesNotContain("\u001b");
    }
}
