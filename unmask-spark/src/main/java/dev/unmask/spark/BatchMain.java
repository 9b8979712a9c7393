package dev.unmask.spark;

import dev.unmask.core.UserError;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * The main class for {@code spark-submit} (and for tests that run a batch in a JVM of its own):
 * {@code unmask batch}'s arguments, with the CLI's exit statuses (2 and one line for bad input).
 */
public final class BatchMain {
    private BatchMain() {}

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new BatchCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("unmask: " + ex.getMessage());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            Throwable cause = ex;
            while (!(cause instanceof UserError) && cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            if (cause instanceof UserError) {
                err.println("unmask: " + cause.getMessage().replaceAll("\\s+", " ").trim());
                return 2;
            }
            err.println("unmask: internal error: " + ex + " (set UNMASK_DEBUG=1 for the stack trace)");
            if (System.getenv("UNMASK_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            return 1;
        });
        return cl.execute(args);
    }
}
