package dev.unmask.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A local file argument. A URL is refused by what the user typed: made a {@link Path}, its
 * {@code //} collapses ({@code https:/host/...}) and it would be reported as a missing file.
 */
final class LocalPathConverter implements ITypeConverter<Path> {
    private static final Pattern URL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*", Pattern.DOTALL);

    @Override
    public Path convert(String value) {
        if (URL.matcher(value).matches()) {
            throw new TypeConversionException("'" + value + "' is a URL; URLs are not supported, download the file and give its local path");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new TypeConversionException("'" + value + "' is not a valid file name here (" + e.getReason() + ")");
        }
    }
}
