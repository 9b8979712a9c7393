package dev.unmask.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The public-domain / CC0 sample photos of scikit-image (Debian's python3-skimage), which
 * {@code bin/setup-test-data} fetches: astronaut.png, camera.png, coffee.png, chelsea.png and
 * rocket.jpg. {@code UNMASK_TEST_PHOTOS} names a folder holding them.
 */
public final class TestPhotos {
    private TestPhotos() {}

    /** Where the photos may be, in the order they are looked for. */
    public static List<Path> candidates() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("UNMASK_TEST_PHOTOS");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("/usr/lib/python3/dist-packages/skimage/data"));
        candidates.add(Path.of(System.getProperty("user.home"), ".cache", "unmask", "test-data", "skimage"));
        return candidates;
    }

    /** The first candidate folder that holds all these photos. */
    public static Optional<Path> find(String... names) {
        return candidates().stream().filter(c -> Arrays.stream(names).allMatch(n -> Files.isRegularFile(c.resolve(n)))).findFirst();
    }

    /**
     * The folder holding all these photos. Without them the calling test is skipped, unless
     * {@code UNMASK_REQUIRE_PHOTOS=1} (as in CI), where their absence fails it.
     */
    public static Path require(String... names) {
        Optional<Path> found = find(names);
        if (found.isEmpty()) {
            String why = String.join(", ", names) + " not found in " + candidates() + "; run bin/setup-test-data (Debian python3-skimage)";
            if ("1".equals(System.getenv("UNMASK_REQUIRE_PHOTOS"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        return found.get();
    }

    /** One photo, under the rules of {@link #require}. */
    public static Path photo(String name) {
        return require(name).resolve(name);
    }
}
