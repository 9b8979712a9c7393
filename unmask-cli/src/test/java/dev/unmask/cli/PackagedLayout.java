package dev.unmask.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The layout `mvn package` leaves, staged from the test's own class path so that tests run the real
 * launcher scripts without a packaging step: {@code bin/} with the named scripts, and
 * {@code unmask-cli/target/} with one jar of the main classes and {@code lib/} holding every jar.
 *
 * @param root     the staged checkout
 * @param launcher {@code bin/unmask}
 * @param jar      the cli jar the launcher finds
 */
record PackagedLayout(Path root, Path launcher, Path jar) {

    /**
     * @param copyJars copies in {@code lib/} (what a class-data archive records: each jar's size and
     *                 time), rather than symbolic links
     */
    static PackagedLayout stage(Path root, boolean copyJars, String... scripts) throws IOException {
        Path repo = Path.of(System.getProperty("unmask.repo", "..")).toAbsolutePath().normalize();
        Path target = root.resolve("unmask-cli/target");
        Path lib = target.resolve("lib");
        Files.createDirectories(lib);
        Files.createDirectories(root.resolve("bin"));
        for (String script : scripts) {
            Path to = root.resolve("bin").resolve(script);
            Files.copy(repo.resolve("bin").resolve(script), to);
            Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<Path> classDirs = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                if (!p.getFileName().toString().equals("test-classes")) {
                    classDirs.add(p);
                }
            } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                if (copyJars) {
                    Files.copy(p, lib.resolve(p.getFileName()));
                } else {
                    Files.createSymbolicLink(lib.resolve(p.getFileName()), p.toAbsolutePath());
                }
            }
        }
        // Written under another name and moved: the launcher takes the first unmask-cli-*.jar it sees.
        Path partial = target.resolve("unmask-cli-0-test.jar.tmp");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(partial))) {
            for (Path d : classDirs) {
                try (Stream<Path> s = Files.walk(d)) {
                    for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                        out.putNextEntry(new JarEntry(d.relativize(f).toString().replace(File.separatorChar, '/')));
                        Files.copy(f, out);
                        out.closeEntry();
                    }
                }
            }
        }
        Path jar = target.resolve("unmask-cli-0.jar");
        Files.move(partial, jar);
        return new PackagedLayout(root, root.resolve("bin/unmask"), jar);
    }
}
