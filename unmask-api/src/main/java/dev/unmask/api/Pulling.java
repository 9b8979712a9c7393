package dev.unmask.api;

import dev.unmask.core.hub.BackboneRegistry;
import dev.unmask.core.hub.HubSettings;
import dev.unmask.core.hub.ModelPuller;
import dev.unmask.core.hub.ModelRef;
import dev.unmask.core.hub.PullListener;

/**
 * Backbones and published detectors (GenD) from the Hugging Face Hub: the only part of Unmask that opens a network connection,
 * and only to the Hub ({@code HF_ENDPOINT}, {@code HF_TOKEN} honoured). A snapshot is kept per
 * commit with every file's SHA-256, so a Hub update never changes a backbone under a detector.
 */
public final class Pulling {
    private Pulling() {}

    /**
     * @param name     a registry short name or OWNER/REPO, optionally @REVISION
     * @param revision branch, tag or commit (null: main, or the name's own)
     * @param update   ask the Hub which commit the revision names now, even when a snapshot is kept
     */
    public static PullReport pull(String name, String revision, boolean update, PullListener listener) {
        ModelRef ref = ModelRef.parse(name, revision, BackboneRegistry.builtIn());
        return PullReport.of(new ModelPuller(HubSettings.fromEnvironment(), listener).pull(ref, update));
    }
}
