package dev.unmask.examples;

import dev.unmask.api.Detector;
import dev.unmask.api.FileCheck;
import java.nio.file.Path;

/** The README's example: load a detector, check one file, print the verdict. The demo's test runs it on the demo's detector. */
public final class CheckOneFile {
    private CheckOneFile() {}

    public static FileCheck check(Path detectorFile, Path media) {
        try (Detector detector = Detector.load(detectorFile)) {
            return detector.check(media);
        }
    }

    public static void main(String[] args) {
        FileCheck check = check(Path.of(args[0]), Path.of(args[1]));
        System.out.println(check.verdict().id() + " " + check.score() + " (threshold " + check.threshold() + ")");
    }
}
