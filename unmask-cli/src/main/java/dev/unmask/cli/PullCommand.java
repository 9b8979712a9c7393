package dev.unmask.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "pull", description = "(not yet implemented)")
final class PullCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new dev.unmask.core.UserError("pull is not implemented yet");
    }
}
