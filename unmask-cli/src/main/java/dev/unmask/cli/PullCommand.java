package dev.unmask.cli;

import dev.unmask.core.UserError;
import dev.unmask.core.hub.BackboneRegistry;
import dev.unmask.core.io.ByteSizes;
import dev.unmask.core.hub.HubSettings;
import dev.unmask.core.hub.ModelPuller;
import dev.unmask.core.hub.ModelRef;
import dev.unmask.core.hub.PullResult;
import dev.unmask.core.hub.PulledSnapshot;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "pull",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Download a backbone (config.json + safetensors weights) from the Hugging Face Hub into the model cache.",
            "Prints the snapshot directory. The commit and every file's SHA-256 are recorded in its pull.json.",
            "Environment: HF_ENDPOINT, HF_TOKEN, UNMASK_HOME (default ~/.cache/unmask), HF_HUB_CACHE / HF_HOME."
        })
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME|OWNER/REPO",
            description = "A backbone name (see --list) or a Hub repo, optionally @REVISION.")
    String model;

    @Option(names = "--revision", paramLabel = "R", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(names = "--update", description = "Ask the Hub which commit the revision names now, even if a snapshot is cached.")
    boolean update;

    @Option(names = "--list", description = "List the backbone names and their repos.")
    boolean list;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BackboneRegistry registry = BackboneRegistry.builtIn();
        if (list) {
            for (BackboneRegistry.Backbone b : registry.all()) {
                out.printf("%-22s %-44s %s%n", b.name(), b.repo(), b.family());
            }
            out.flush();
            return 0;
        }
        if (model == null) {
            throw new UserError("pull needs a backbone name or OWNER/REPO (see unmask pull --list)");
        }
        ModelRef ref = ModelRef.parse(model, revision, registry);
        HubSettings settings = HubSettings.fromEnvironment();
        ProgressReporter progress = new ProgressReporter(err, System.console() != null);
        PullResult result = new ModelPuller(settings, progress).pull(ref, update);
        PulledSnapshot s = result.snapshot();
        String what = ref.display() + " = commit " + s.commit();
        switch (result.origin()) {
            case ALREADY_PULLED -> err.println("already pulled: " + what);
            case HUGGING_FACE_CACHE -> err.println("pulled " + what + " from the Hugging Face cache ("
                    + s.files().size() + " files, " + ByteSizes.format(s.totalBytes()) + ", nothing downloaded)");
            case HUB -> err.println("pulled " + what + " (" + s.files().size() + " files, "
                    + ByteSizes.format(s.totalBytes()) + ", " + ByteSizes.format(result.bytesDownloaded()) + " downloaded)");
        }
        err.flush();
        out.println(s.directory());
        out.flush();
        return 0;
    }
}
