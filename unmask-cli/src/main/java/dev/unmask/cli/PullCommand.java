package dev.unmask.cli;

import dev.unmask.api.PullReport;
import dev.unmask.api.Pulling;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.hub.BackboneRegistry;
import dev.unmask.core.io.ByteSizes;
import dev.unmask.core.hub.ModelRef;
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
            "Download a backbone (config.json + safetensors weights), or a published GenD detector (with its backbone's config files),"
                    + " from the Hugging Face Hub into the model cache.",
            "Prints the snapshot directory. The commit and every file's SHA-256 are recorded in its pull.json.",
            "Environment: HF_ENDPOINT, HF_TOKEN, UNMASK_HOME (default ~/.cache/unmask), HF_HUB_CACHE / HF_HOME."
        })
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME|OWNER/REPO",
            description = "A backbone or detector name (see --list) or a Hub repo, optionally @REVISION.")
    String model;

    @Option(names = "--revision", paramLabel = "R", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(names = "--update", description = "Ask the Hub which commit the revision names now, even if a snapshot is cached.")
    boolean update;

    @Option(names = "--list", description = "List the backbone and detector names and their repos.")
    boolean list;

    @Option(names = "--json", description = "Print the snapshot as JSON (repo, commit, folder, every file's size and SHA-256) instead of its folder.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BackboneRegistry registry = BackboneRegistry.builtIn();
        if (list) {
            for (BackboneRegistry.Backbone b : registry.all()) {
                out.printf("%-22s %-44s %s%n", b.name(), b.repo(), b.family());
            }
            for (BackboneRegistry.DetectorEntry d : registry.detectors()) {
                out.printf("%-22s %-44s %s%n", d.name(), d.repo(), d.refused() != null ? "detector, not supported" : d.family() + " detector");
            }
            out.flush();
            return 0;
        }
        if (model == null) {
            throw new UserError("pull needs a backbone name or OWNER/REPO (see unmask pull --list)");
        }
        ModelRef ref = ModelRef.parse(model, revision, registry);
        ProgressReporter progress = new ProgressReporter(err, System.console() != null);
        PullReport r = Pulling.pull(model, revision, update, progress);
        long total = r.files().stream().mapToLong(PullReport.File::size).sum();
        String what = ref.display() + " = commit " + r.commit();
        switch (r.origin()) {
            case "already-pulled" -> err.println("already pulled: " + what);
            case "hugging-face-cache" -> err.println("pulled " + what + " from the Hugging Face cache ("
                    + r.files().size() + " files, " + ByteSizes.format(total) + ", nothing downloaded)");
            default -> err.println("pulled " + what + " (" + r.files().size() + " files, "
                    + ByteSizes.format(total) + ", " + ByteSizes.format(r.bytesDownloaded()) + " downloaded)");
        }
        if (r.backbone() != null) {
            PullReport.Backbone b = r.backbone();
            err.println("GenD detector on backbone " + b.repo() + " (its configs in backbone/: "
                    + (b.commit() != null ? "commit " + b.commit() : "the copies that come with Unmask, as the Hub denied access") + "); weights' licence: "
                    + (r.license() == null ? "unknown" : r.license().id() + " (from " + r.license().from() + ")"));
        }
        err.flush();
        if (json) {
            out.println(StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
        } else {
            out.println(r.directory());
        }
        out.flush();
        return 0;
    }
}
