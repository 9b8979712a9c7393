package dev.unmask.core.hub;

import dev.unmask.core.UserError;

/**
 * What a user typed to name a model: a registry name or {@code OWNER/NAME}, optionally pinned with
 * {@code @REVISION} (a branch, tag or commit), e.g. {@code dinov2_vits14@7a9b…}.
 *
 * @param given the text as typed, without any revision; used in messages such as "run unmask pull ..."
 */
public record ModelRef(String given, RepoId repo, String revision) {
    public ModelRef {
        Revisions.check(revision);
    }

    /**
     * Parses {@code NAME|OWNER/NAME[@REVISION]}. {@code revisionOption} (may be null) is an explicit
     * {@code --revision}; giving two different revisions is an error.
     */
    public static ModelRef parse(String text, String revisionOption, BackboneRegistry registry) {
        if (text == null || text.isBlank()) {
            throw new UserError("no model given (expected a backbone name or OWNER/NAME)");
        }
        String name = text.strip();
        String revision = null;
        int at = name.indexOf('@');
        if (at >= 0) {
            revision = name.substring(at + 1);
            name = name.substring(0, at);
            if (revision.isEmpty()) {
                throw new UserError("empty revision after '@' in \"" + text + "\"");
            }
        }
        if (revision != null && revisionOption != null && !revision.equals(revisionOption)) {
            throw new UserError("two revisions given: \"" + text + "\" and --revision " + revisionOption);
        }
        if (revisionOption != null) {
            revision = revisionOption;
        }
        return new ModelRef(name, registry.repoFor(name), revision == null ? Revisions.DEFAULT : revision);
    }

    /** {@code OWNER/NAME@REVISION}. */
    public String display() {
        return repo.id() + "@" + revision;
    }

    /** The command that would fetch this model. */
    public String pullCommand() {
        return "unmask pull " + given + (revision.equals(Revisions.DEFAULT) ? "" : " --revision " + revision);
    }
}
