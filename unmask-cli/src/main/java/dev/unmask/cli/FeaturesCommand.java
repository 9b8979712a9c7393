package dev.unmask.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "features", description = "(not yet implemented)")
final class FeaturesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new dev.unmask.core.UserError("features is not implemented yet");
    }
}
