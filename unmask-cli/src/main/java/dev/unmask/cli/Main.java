package dev.unmask.cli;

import dev.unmask.api.Unmask;
import dev.unmask.core.UserError;
import dev.unmask.core.io.FileNameEncoding;
import dev.unmask.server.ServeCommand;
import java.io.PrintWriter;
import dev.unmask.spark.BatchCommand;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code unmask} command: a tree of small subcommands, errors mapped to exit codes in one place. */
@Command(
        name = "unmask",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Find facial deepfakes with self-supervised Vision Transformers.")
public final class Main {
    /**
     * The subcommands, in the order help lists them. Added by {@link #commandLine(String...)}, not
     * declared on the annotation, so that a run of one command builds that command's options
     * only: picocli reflects over every command class it is given, which was half of
     * {@code --version}'s start-up (unmask bench startup: command_tree).
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(FeaturesCommand.class, PullCommand.class, ExtractCommand.class, TrainCommand.class,
            EvalCommand.class, DetectCommand.class, CalibrateCommand.class, DemoCommand.class, ServeCommand.class, MetricsCommand.class,
            BenchCommand.class, BatchCommand.class, CommandLine.HelpCommand.class);

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
        if (StartupBenchmark.mainEnteredMillis == 0) {
            StartupBenchmark.mainEnteredMillis = System.currentTimeMillis();
        }
        Unmask.configureEngine();
        FileNameEncoding.warning().ifPresent(w -> err.println("unmask: " + w));
        long t0 = System.nanoTime();
        CommandLine cl = commandLine(args);
        if (StartupBenchmark.commandTreeNanos == 0) {
            StartupBenchmark.commandTreeNanos = System.nanoTime() - t0;
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine.ParameterException shown = unmatchedFirst(ex);
            err.println("unmask: " + shown.getMessage());
            // "Did you mean: unmask detect?" for a mistyped command, "Possible solutions: ..." for an option.
            CommandLine.UnmatchedArgumentException.printSuggestions(shown, err);
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

    /** The whole command tree with its help layout and version on every command. */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command tree {@code args} need: only the command they name when they start with one
     * (other than help), none for a lone {@code --version}, and otherwise all of them (for the
     * top-level help and the "did you mean" of a mistyped command).
     */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args.length == 0 ? "" : args[0];
        boolean versionOnly = args.length == 1 && (first.equals("--version") || first.equals("-V"));
        Class<?> named = null;
        for (Class<?> c : SUBCOMMANDS) {
            Command a = c.getAnnotation(Command.class);
            if (a != null && a.name().equals(first) && c != CommandLine.HelpCommand.class) {
                named = c;
            }
        }
        if (named != null) {
            cl.addSubcommand(named);
        } else if (!versionOnly) {
            for (Class<?> c : SUBCOMMANDS) {
                cl.addSubcommand(c);
            }
        }
        // After the subcommands are added: picocli hands the factory down only to those present.
        cl.setHelpFactory(SpaceWrappedHelp.FACTORY);
        everyCommand(cl, c -> c.getCommandSpec().versionProvider(new Version()));
        return cl;
    }

    static void everyCommand(CommandLine cl, java.util.function.Consumer<CommandLine> action) {
        action.accept(cl);
        for (CommandLine sub : cl.getSubcommands().values()) {
            everyCommand(sub, action);
        }
    }

    /**
     * A mistyped option is the error to report even when picocli found a required option missing
     * first: {@code train --backbon X} should point at {@code --backbone}, not say it is missing.
     */
    static CommandLine.ParameterException unmatchedFirst(CommandLine.ParameterException ex) {
        CommandLine cl = ex.getCommandLine();
        if (ex instanceof CommandLine.UnmatchedArgumentException || cl == null || cl.getUnmatchedArguments().isEmpty()) {
            return ex;
        }
        return new CommandLine.UnmatchedArgumentException(cl, cl.getUnmatchedArguments());
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** The version and commit the build recorded ({@link BuildInfo}). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"unmask " + BuildInfo.load().describe()};
        }
    }
}
