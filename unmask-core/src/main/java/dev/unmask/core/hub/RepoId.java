package dev.unmask.core.hub;

import dev.unmask.core.UserError;
import java.util.regex.Pattern;

/**
 * A Hub model repository, {@code OWNER/NAME}. The parts become directory names in two caches, so
 * they are held to the Hub's own naming rules: no path tricks, and no {@code --}, which the cache
 * layouts use as the separator between owner and name.
 */
public record RepoId(String owner, String name) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?");
    private static final int MAX_LENGTH = 96;

    public RepoId {
        check(owner, owner + "/" + name);
        check(name, owner + "/" + name);
    }

    /** Parses {@code OWNER/NAME}; anything else is a {@link UserError}. */
    public static RepoId parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/')) {
            throw new UserError("not a Hub repo id: \"" + text + "\" (expected OWNER/NAME, e.g. facebook/dinov2-small)");
        }
        return new RepoId(text.substring(0, slash), text.substring(slash + 1));
    }

    private static void check(String part, String whole) {
        if (part == null || whole.length() > MAX_LENGTH || !PART.matcher(part).matches()
                || part.contains("--") || part.contains("..")) {
            throw new UserError("not a valid Hub repo id: \"" + whole + "\" (letters, digits, '.', '_', '-'; "
                    + "no '--' or '..'; at most " + MAX_LENGTH + " characters)");
        }
    }

    /** {@code OWNER/NAME}. */
    public String id() {
        return owner + "/" + name;
    }

    /** The directory name in Unmask's cache. */
    public String cacheDirName() {
        return owner + "--" + name;
    }

    /** The directory name in the Hugging Face cache. */
    public String huggingFaceCacheDirName() {
        return "models--" + owner + "--" + name;
    }

    @Override
    public String toString() {
        return id();
    }
}
