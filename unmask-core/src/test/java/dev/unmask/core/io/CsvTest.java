package dev.unmask.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir
    Path dir;

    private static List<Csv.Row> rows(String text, boolean commentLines) {
        return rows(text.getBytes(StandardCharsets.UTF_8), commentLines);
    }

    private static List<Csv.Row> rows(byte[] bytes, boolean commentLines) {
        List<Csv.Row> out = new ArrayList<>();
        try (Csv.Rows rows = Csv.open(new ByteArrayInputStream(bytes), "t.csv", commentLines)) {
            for (Csv.Row r; (r = rows.next()) != null; ) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void whatTheTableWritesReadsBackFieldForField() {
        List<List<String>> written = List.of(
                List.of("plain/path.png", "0", "v1"),
                List.of("a,b.png", "say \"hi\"", "two\nlines"),
                List.of("cr\rlf\r\n", "", " spaced "),
                List.of("#not a comment", "é ✓", "\"\""));
        Csv.Table table = new Csv.Table("path", "label", "video");
        written.forEach(r -> table.row(r.toArray()));
        String text = table.text();
        assertThat(text).startsWith("path,label,video\nplain/path.png,0,v1\n\"a,b.png\",\"say \"\"hi\"\"\",\"two\nlines\"\n");

        for (boolean commentLines : new boolean[] {false, true}) {
            List<Csv.Row> read = rows(text, commentLines);
            assertThat(read).extracting(Csv.Row::fields).containsExactly(
                    List.of("path", "label", "video"), written.get(0), written.get(1), written.get(2), written.get(3));
            assertThat(read).extracting(Csv.Row::line).containsExactly(1, 2, 3, 5, 8);
        }
    }

    @Test
    void numbersAreWrittenAsJavaPrintsThem() {
        assertThat(new Csv.Table().row(0.1f + 0.0, 3, 1e-7, "x").text()).isEqualTo("0.10000000149011612,3,1.0E-7,x\n");
    }

    @Test
    void aByteOrderMarkAndCrlfLineEndsAreReadAway() {
        List<Csv.Row> read = rows("\ufeffpath,label\r\na.png,0\r\n\r\nb.png,1", false);
        assertThat(read).extracting(Csv.Row::fields)
                .containsExactly(List.of("path", "label"), List.of("a.png", "0"), List.of("b.png", "1"));
        assertThat(read).extracting(Csv.Row::line).containsExactly(1, 2, 4);
    }

    @Test
    void blankLinesAreSkippedAndHashLinesOnlyWhenAsked() {
        String text = "# made by hand\na,0\n   \n\t\n#b,1\nc,\"#1\"\n";
        assertThat(rows(text, true)).extracting(Csv.Row::fields).containsExactly(List.of("a", "0"), List.of("c", "#1"));
        assertThat(rows(text, true)).extracting(Csv.Row::line).containsExactly(2, 6);
        assertThat(rows(text, false)).extracting(Csv.Row::fields)
                .containsExactly(List.of("# made by hand"), List.of("a", "0"), List.of("#b", "1"), List.of("c", "#1"));
    }

    @Test
    void aQuoteInsideAnUnquotedFieldIsAnOrdinaryCharacter() {
        assertThat(rows("a\"b,c\"\n", false).get(0).fields()).containsExactly("a\"b", "c\"");
    }

    @Test
    void anUnclosedQuoteNamesTheLineItOpensOnNotTheEndOfTheFile() {
        assertThatThrownBy(() -> rows("a,b\n\"x\ny\",c\n\"open,1\n2,3\n4,5\n", false))
                .isInstanceOf(UserError.class).hasMessage("t.csv: line 4: a quoted field is never closed");
    }

    @Test
    void textAfterAClosingQuoteIsRefusedWithItsLine() {
        assertThatThrownBy(() -> rows("a,b\n\"x\"y,c\n", false))
                .isInstanceOf(UserError.class).hasMessage("t.csv: line 2: text after the closing quote of a field");
    }

    @Test
    void fileProblemsAreOneLineErrorsNamingTheFile() throws Exception {
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, "path,label\nd\u00e9j\u00e0,0\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> {
            try (Csv.Rows rows = Csv.open(latin1, false)) {
                while (rows.next() != null) {
                    // read to the end
                }
            }
        }).isInstanceOf(UserError.class).hasMessage(latin1 + ": not UTF-8 text");
        assertThatThrownBy(() -> Csv.open(dir.resolve("nope.csv"), false))
                .isInstanceOf(UserError.class).hasMessage(dir.resolve("nope.csv") + ": no such file");
        assertThatThrownBy(() -> rows(new byte[] {(byte) 0xef, (byte) 0xbb}, false))
                .isInstanceOf(UserError.class).hasMessage("t.csv: not UTF-8 text");
    }
}
