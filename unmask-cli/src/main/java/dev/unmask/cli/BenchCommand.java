package dev.unmask.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "bench", description = "(not yet implemented)")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new dev.unmask.core.UserError("bench is not implemented yet");
    }
}
