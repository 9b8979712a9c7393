package dev.unmask.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the real CLI in-process and captures what a user would see. */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Non-empty lines printed to stderr. */
    long errLines() {
        return err.lines().filter(l -> !l.isBlank()).count();
    }
}
