package dev.unmask.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.unmask.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * JSON parsing for files we did not write (configs, checkpoint headers). Duplicate keys are
 * refused: two readers of the same file must never disagree on what it says.
 */
public final class StrictJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(100).maxStringLength(10_000_000).build());
    }

    private StrictJson() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static JsonNode parse(byte[] bytes, String what) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new UserError(what + ": empty JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new UserError(what + ": invalid JSON (" + oneLine(e.getOriginalMessage()) + ")");
        } catch (IOException e) {
            throw new UserError(what + ": cannot read JSON (" + oneLine(e.getMessage()) + ")");
        }
    }

    public static JsonNode parse(String text, String what) {
        return parse(text.getBytes(StandardCharsets.UTF_8), what);
    }

    public static JsonNode read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > 64L << 20) {
                throw new UserError(file + ": JSON file larger than 64 MiB, refusing to read it");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + oneLine(e.getMessage()) + ")");
        }
        return parse(bytes, file.toString());
    }

    public static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("\\s+", " ").trim();
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }
}
