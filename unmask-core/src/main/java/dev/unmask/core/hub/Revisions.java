package dev.unmask.core.hub;

import dev.unmask.core.UserError;
import java.util.regex.Pattern;

/** Rules for revisions (branch, tag or commit): they end up in URLs and in cache paths. */
final class Revisions {
    static final String DEFAULT = "main";
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._/+-]{1,200}");

    private Revisions() {}

    static String check(String revision) {
        if (revision == null || !ALLOWED.matcher(revision).matches() || revision.startsWith("/")
                || revision.endsWith("/") || revision.contains("//") || revision.contains("..")
                || revision.startsWith(".") || revision.contains("/.")) {
            throw new UserError("not a valid revision: \"" + revision
                    + "\" (a branch, tag or 40-hex commit, e.g. main, v1.0, refs/pr/3)");
        }
        return revision;
    }

    static boolean isCommit(String revision) {
        return revision != null && COMMIT.matcher(revision).matches();
    }
}
