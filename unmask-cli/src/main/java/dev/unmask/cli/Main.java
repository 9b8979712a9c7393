package dev.unmask.cli;

import dev.unmask.core.UserError;
import dev.unmask.core.io.FileNameEncoding;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code unmask} command: a tree of small subcommands, errors mapped to exit codes in one place. */
@Command(
        name = "unmask",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Find facial deepfakes with self-supervised Vision Transformers.",
        subcommands = {FeaturesCommand.class, PullCommand.class, ExtractCommand.class, TrainCommand.class, EvalCommand.class,
                DetectCommand.class, DemoCommand.class,
                MetricsCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static final int EXIT_USER_ERROR = 2;
    public static final int EXIT_INTERNAL_ERROR = 1;
    /** The batch commands' (extract, detect, demo) "the batch finished, some items failed": the others are done and kept. */
    public static final int EXIT_SOME_ITEMS_FAILED = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI in this JVM and returns the exit code (used by the launcher and by tests). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        EngineSettings.apply();
        FileNameEncoding.warning().ifPresent(w -> err.println("unmask: " + w));
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("unmask: " + ex.getMessage());
            return EXIT_USER_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable cause = ex;
            while (!(cause instanceof UserError) && cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            if (cause instanceof UserError) {
                err.println("unmask: " + oneLine(cause.getMessage()));
                return EXIT_USER_ERROR;
            }
            err.println("unmask: internal error: " + ex + " (set UNMASK_DEBUG=1 for the stack trace)");
            if (System.getenv("UNMASK_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            return EXIT_INTERNAL_ERROR;
        });
        return cl.execute(args);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** Version from the jar manifest when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"unmask " + (v == null ? "dev" : v)};
        }
    }
}
