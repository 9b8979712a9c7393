package dev.unmask.core.io;

import dev.unmask.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files named relative to a root must stay in it, links resolved: a lexical check lets a symlink
 * inside the root (a row {@code linkdir/passwd}, a linked photo) open anything the user can read.
 * Datasets that are symlink farms on purpose are allowed with an explicit option.
 */
public final class InsideRoot {
    /** The command-line option that lets links leave the root. */
    public static final String ALLOW_OPTION = "--allow-links-outside-root";

    private final Path lexicalRoot;
    private final Path realRoot;
    private final boolean allowLinksOutside;

    private InsideRoot(Path lexicalRoot, Path realRoot, boolean allowLinksOutside) {
        this.lexicalRoot = lexicalRoot;
        this.realRoot = realRoot;
        this.allowLinksOutside = allowLinksOutside;
    }

    /** {@code root} must exist; a root that is itself a link is where it leads. */
    public static InsideRoot of(Path root, boolean allowLinksOutside) {
        Path lexical = root.toAbsolutePath().normalize();
        try {
            return new InsideRoot(lexical, lexical.toRealPath(), allowLinksOutside);
        } catch (IOException e) {
            throw new UserError(root + ": cannot resolve the folder (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /**
     * Refuses {@code file} (under the root by name) when, links followed, it is somewhere else. A
     * file that does not exist yet passes: it is that file's own error later, and cannot leak.
     *
     * @param what how the error names the file (a list line, a video)
     */
    public void require(Path file, String what) {
        if (allowLinksOutside || !Files.exists(file)) {
            return;
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return;
        }
        if (!real.startsWith(realRoot)) {
            throw new UserError(what + " is a link to " + real + ", outside the root " + lexicalRoot + "; pass " + ALLOW_OPTION
                    + " if the data set is made of links on purpose");
        }
    }
}
