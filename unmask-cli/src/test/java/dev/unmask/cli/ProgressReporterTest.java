package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.unmask.core.hub.PullListener;
import dev.unmask.core.hub.PulledSnapshot;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
    private final PulledSnapshot.PulledFile done = new PulledSnapshot.PulledFile("model.safetensors", 2L << 20,
            "ab".repeat(32), true);

    @Test
    void aTerminalGetsABarWithEtaThenOneLinePerFile() {
        StringWriter err = new StringWriter();
        ProgressReporter p = new ProgressReporter(new PrintWriter(err), true);
        p.started("model.safetensors", PullListener.Activity.DOWNLOADING, 2L << 20, 0);
        p.progress("model.safetensors", 1L << 20, 2L << 20);
        p.finished("model.safetensors", done, "downloaded");
        assertThat(err.toString()).startsWith("\rmodel.safetensors [===============>              ] 1.0 MiB/2.0 MiB ")
                .containsPattern(" ([KMGT]i)?B/s ETA \\d+:\\d\\d\u001b\\[K")
                .endsWith("\r\u001b[K  model.safetensors  2.0 MiB  sha256 abababababab... (verified)  downloaded" + System.lineSeparator());
    }

    @Test
    void aLogGetsOnlyTheSummaryLines() {
        StringWriter err = new StringWriter();
        ProgressReporter p = new ProgressReporter(new PrintWriter(err), false);
        p.started("model.safetensors", PullListener.Activity.DOWNLOADING, 2L << 20, 0);
        p.progress("model.safetensors", 1L << 20, 2L << 20);
        p.finished("model.safetensors", done, "resumed at 1.0 MiB");
        assertThat(err.toString().lines()).containsExactly("  model.safetensors  2.0 MiB  sha256 abababababab... (verified)  resumed at 1.0 MiB");
    }
}
