package dev.unmask.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version and git commit this build was made from, recorded at build time by
 * {@code unmask-cli/src/build/build-info.sh} into {@value #RESOURCE} beside this class.
 *
 * @param commit   the full commit id, or {@code unknown} (no git, or not built from a checkout)
 * @param modified whether tracked files differed from that commit when it was built
 */
record BuildInfo(String version, String commit, boolean modified) {
    static final String RESOURCE = "build-info.properties";
    static final String UNKNOWN = "unknown";

    static BuildInfo load() {
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                // Compiled without the build's generate-resources step (e.g. by an IDE alone).
                return new BuildInfo("dev", UNKNOWN, false);
            }
            Properties p = new Properties();
            p.load(in);
            return new BuildInfo(p.getProperty("version", "dev"), p.getProperty("commit", UNKNOWN),
                    Boolean.parseBoolean(p.getProperty("modified", "false")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** E.g. {@code 0.1.0 (commit 4d0c53e1a2b3)}, {@code 0.1.0 (commit 4d0c53e1a2b3, modified)} or {@code 0.1.0 (unknown commit)}. */
    String describe() {
        if (UNKNOWN.equals(commit)) {
            return version + " (unknown commit)";
        }
        return version + " (commit " + commit.substring(0, Math.min(12, commit.length())) + (modified ? ", modified" : "") + ")";
    }
}
