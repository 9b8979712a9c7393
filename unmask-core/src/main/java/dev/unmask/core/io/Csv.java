package dev.unmask.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.unmask.core.UserError;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * CSV as RFC 4180 has it (a field in double quotes may hold commas, line breaks and doubled
 * quotes), read and written by jackson-dataformat-csv. What every caller shares lives here:
 * strict UTF-8, a leading byte-order mark (spreadsheet programs write one) dropped, blank lines
 * skipped, the line each record starts on, and every problem as a one-line {@link UserError}
 * naming the file and the line. A quote inside an unquoted field is an ordinary character, as
 * spreadsheets and Python's csv module read it.
 */
public final class Csv {
    private static final CsvFactory FACTORY = CsvFactory.builder()
            // Quote exactly the fields that need it (separator, quote, line break, a leading '#'),
            // so plain paths and numbers stay unquoted and diffable.
            .enable(CsvGenerator.Feature.STRICT_CHECK_FOR_QUOTING)
            .build();
    // The parser takes its features when made, so comment lines need a factory of their own.
    private static final CsvFactory WITH_COMMENT_LINES = CsvFactory.builder().enable(CsvParser.Feature.ALLOW_COMMENTS).build();
    private static final CsvSchema WRITTEN = CsvSchema.emptySchema().withLineSeparator("\n").withComments();

    private Csv() {}

    /**
     * One record.
     *
     * @param line the line of the file it starts on, from 1
     */
    public record Row(int line, List<String> fields) {
        public Row {
            fields = List.copyOf(fields);
        }

        public int size() {
            return fields.size();
        }

        public String get(int column) {
            return fields.get(column);
        }
    }

    /** {@code file}'s records; {@code commentLines}: lines starting with {@code #} are skipped. */
    public static Rows open(Path file, boolean commentLines) {
        try {
            return open(Files.newInputStream(file), file, commentLines);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new UserError(file + ": permission denied");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /** The records of UTF-8 bytes; {@code source} names them in messages. Closing the rows closes {@code in}. */
    public static Rows open(InputStream in, Object source, boolean commentLines) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
        try {
            CsvParser parser = (CsvParser) (commentLines ? WITH_COMMENT_LINES : FACTORY).createParser(reader);
            return new Rows(parser, reader, source);
        } catch (IOException e) {
            throw new UncheckedIOException("a CSV parser over a reader does no I/O when made", e);
        }
    }

    /** Records, one at a time. */
    public static final class Rows implements Closeable {
        private final CsvParser parser;
        private final BufferedReader reader;
        private final Object source;
        private boolean started;
        private int recordLine = 1;

        private Rows(CsvParser parser, BufferedReader reader, Object source) {
            this.parser = parser;
            this.reader = reader;
            this.source = source;
        }

        /** The next record that is not blank, or null at the end. */
        public Row next() {
            try {
                if (!started) {
                    started = true;
                    reader.mark(1);
                    if (reader.read() != '\ufeff') {
                        reader.reset();
                    }
                }
                while (parser.nextToken() == JsonToken.START_ARRAY) {
                    recordLine = parser.currentLocation().getLineNr();
                    List<String> fields = new ArrayList<>();
                    while (parser.nextToken() == JsonToken.VALUE_STRING) {
                        fields.add(parser.getText());
                    }
                    if (fields.size() != 1 || !fields.get(0).isBlank()) {
                        return new Row(recordLine, fields);
                    }
                }
                return null;
            } catch (CharacterCodingException e) {
                throw new UserError(source + ": not UTF-8 text");
            } catch (JsonProcessingException e) {
                throw new UserError(source + ": line " + problem(e));
            } catch (IOException e) {
                throw new UserError(source + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
            }
        }

        /** "N: what", N being the line to look at. */
        private String problem(JsonProcessingException e) {
            String what = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            int at = e.getLocation() != null && e.getLocation().getLineNr() > 0 ? e.getLocation().getLineNr() : recordLine;
            if (what.startsWith("Missing closing quote")) {
                // The parser notices at the end of the file; the quote was opened in this record.
                return recordLine + ": a quoted field is never closed";
            }
            if (what.contains("Expected column separator")) {
                return at + ": text after the closing quote of a field";
            }
            return at + ": " + StrictJson.oneLine(what);
        }

        @Override
        public void close() {
            try {
                parser.close();
                reader.close();
            } catch (IOException ignored) {
                // Read-only: nothing is lost when closing fails.
            }
        }
    }

    /** A CSV text built row by row (after the header, if any), quoted where a field needs it; lines end in {@code \n}. */
    public static final class Table {
        private final StringWriter out = new StringWriter();
        private final CsvGenerator generator;

        public Table(String... header) {
            try {
                generator = (CsvGenerator) FACTORY.createGenerator(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            generator.setSchema(WRITTEN);
            if (header.length > 0) {
                row((Object[]) header);
            }
        }

        /** Appends a row; each field is written as {@link String#valueOf}, so numbers keep Java's shortest form. */
        public Table row(Object... fields) {
            try {
                generator.writeStartArray();
                for (Object f : fields) {
                    generator.writeString(String.valueOf(Objects.requireNonNull(f, "a CSV field")));
                }
                generator.writeEndArray();
            } catch (IOException e) {
                throw new UncheckedIOException("writing to a string cannot fail", e);
            }
            return this;
        }

        public String text() {
            try {
                generator.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing to a string cannot fail", e);
            }
            return out.toString();
        }
    }
}
