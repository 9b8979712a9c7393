package dev.unmask.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricsScoresCsvTest {
    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        Path f = dir.resolve("scores.csv");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void quotedFieldsColumnOrderAndManipulationIds() throws IOException {
        Path f = write("\ufeffscore,video,label,path\r\n"
                + "0.25,\"vid, one\",0,\"a,b.png\"\r\n"
                + "\r\n"
                + ".75,\"say \"\"hi\"\"\",3,\"line\nbreak.png\"\r\n"
                + "1e-1,\"vid, one\",0,c.png");
        ScoresCsv csv = ScoresCsv.read(f);
        assertThat(csv.size()).isEqualTo(3);
        assertThat(csv.scores()).containsExactly(0.25, 0.75, 0.1);
        assertThat(csv.labels()).containsExactly(0, 3, 0);
        assertThat(csv.fake()).containsExactly(false, true, false);
        assertThat(csv.hasVideo()).isTrue();
        assertThat(csv.videoNames()).containsExactly("vid, one", "say \"hi\"");
        assertThat(csv.video()).containsExactly(0, 1, 0);
    }

    @Test
    void aVideoIdWithRealAndFakeRowsIsTwoVideos() throws IOException {
        // Fakes named after the real video they were made from, as datasets (and eval's scores.csv) have them.
        ScoresCsv csv = ScoresCsv.read(write("path,label,score,video\na,0,0.5,v\nb,2,0.5,v\nc,0,0.2,v\nd,1,0.9,w\n"));
        assertThat(csv.videoCount()).isEqualTo(3);
        assertThat(csv.video()).containsExactly(0, 1, 0, 2);
        assertThat(csv.videoNames()).containsExactly("v", "v", "w");
        assertThat(csv.videoIdsWithBothLabels()).isEqualTo(1);
        MetricsReport report = MetricsReport.compute(csv, MetricsReport.Options.defaults());
        assertThat(report.video().metrics().n()).isEqualTo(3);
        assertThat(report.video().metrics().nReal()).isEqualTo(1);
        assertThat(report.toJson().path("video").path("videos").asText()).isEqualTo(VideoKeys.RULE);
    }

    @Test
    void withoutVideoColumn() throws IOException {
        ScoresCsv csv = ScoresCsv.read(write("path,label,score\nx,1,1\ny,0,0\n"));
        assertThat(csv.hasVideo()).isFalse();
        assertThat(csv.video()).isNull();
        assertThat(csv.scores()).containsExactly(1.0, 0.0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "nan score         | path,label,score\\na,0,NaN\\n                  | line 2: score 'NaN' is not a finite number",
        "infinite score    | path,label,score\\na,0,0.1\\nb,1,-Infinity\\n  | line 3: score '-Infinity' is not a finite number",
        "not a number      | path,label,score\\na,0,0x1p-2\\n               | line 2: score '0x1p-2' is not a number",
        "out of range      | path,label,score\\na,0,1.5\\n                  | not a probability in [0, 1]",
        "negative label    | path,label,score\\na,-1,0.5\\n                 | line 2: label '-1'",
        "float label       | path,label,score\\na,1.0,0.5\\n                | label '1.0'",
        "missing column    | path,score\\na,0.5\\n                          | no 'label' column",
        "unknown column    | path,label,score,vidoe\\na,0,0.5,v\\n          | unknown column 'vidoe'",
        "duplicate column  | path,label,score,score\\na,0,0.5,0.5\\n        | 'score' appears twice",
        "short row         | path,label,score\\na,0\\n                      | line 2 has 2 fields, the header has 3",
        "empty file        | ''                                              | empty file",
        "header only       | path,label,score\\n                            | no scores",
        "open quote        | path,label,score\\n\"a,0,0.5\\n                | never closed",
        "text after quote  | path,label,score\\n\"a\"b,0,0.5\\n             | line 2: text after the closing quote",
        "empty video       | path,label,score,video\\na,0,0.5,\\n           | empty video",
    })
    void badInputIsAOneLineUserError(String what, String text, String message) throws IOException {
        Path f = write(text.replace("\\n", "\n"));
        assertThatThrownBy(() -> ScoresCsv.read(f))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith(f.toString())
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void missingFileAndDirectoryAndNonUtf8() throws IOException {
        assertThatThrownBy(() -> ScoresCsv.read(dir.resolve("nope.csv")))
                .isInstanceOf(UserError.class).hasMessageContaining("no such file");
        assertThatThrownBy(() -> ScoresCsv.read(dir))
                .isInstanceOf(UserError.class).hasMessageContaining("is a directory");
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, "path,label,score\nd\u00e9j\u00e0,0,0.5\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> ScoresCsv.read(latin1))
                .isInstanceOf(UserError.class).hasMessageContaining("not UTF-8");
    }
}
