package dev.unmask.cli;

import dev.unmask.api.Models;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;

/**
 * A {@code --detector} value as typed: a detector file or GenD folder (a URL is refused here, as
 * {@link LocalPathConverter} does), or a published detector's registry name or Hub repo. It is
 * {@link #resolve resolved} when the command runs, so that "not pulled yet" is the command's one
 * line, not a parse error.
 */
final class DetectorArgument implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
        new LocalPathConverter().convert(value);
        return value;
    }

    /** The detector file or folder: as is when it exists, else a pulled detector's folder in the model cache. */
    static Path resolve(String value) {
        return Models.resolveDetector(value);
    }
}
