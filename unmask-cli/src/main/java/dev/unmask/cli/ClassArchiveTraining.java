package dev.unmask.cli;

import dev.unmask.core.model.BuiltinModels;
import dev.unmask.media.ImageFiles;
import dev.unmask.media.face.FaceDetector;
import dev.unmask.media.face.FaceDetectorKind;
import dev.unmask.media.pixels.MediaLimits;
import dev.unmask.media.pixels.Natives;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The training run of the class-data-sharing archive (bin/make-class-archive runs it with
 * {@code -XX:ArchiveClassesAtExit}): it loads the classes a short command loads, so that the JVM
 * can map them from the archive at the next start instead of reading, parsing and verifying
 * them again. It touches each stage a {@code detect} on one picture goes through (command tree,
 * libtorch, FFmpeg, OpenCV, BlazeFace, image decoding) and loads, without running, every class of
 * Unmask's own jars. Nothing here may need the network or a trained detector.
 */
final class ClassArchiveTraining {
    private ClassArchiveTraining() {}

    public static void main(String[] args) throws Exception {
        StringWriter sink = new StringWriter();
        PrintWriter w = new PrintWriter(sink);
        Main.run(w, w, "--version");
        Main.run(w, w, "detect", "--help");
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2)).matMul(m.ones(new ai.djl.ndarray.types.Shape(2, 2)))
                    .softmax(-1).toFloatArray();
        }
        Natives.init();
        Path face = BuiltinModels.sampleImage();
        try (FaceDetector f = FaceDetectorKind.BLAZEFACE.open()) {
            f.detect(ImageFiles.read(face, MediaLimits.DEFAULT));
        } catch (RuntimeException e) {
            // No BlazeFace model here (bin/setup-models not run): the archive just holds fewer classes.
        }
        loadOwnClasses();
    }

    /** Loads (without initialising) every dev.unmask class in the jars of this class path. */
    static void loadOwnClasses() throws IOException {
        ClassLoader loader = ClassArchiveTraining.class.getClassLoader();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!entry.endsWith(".jar") || !Files.isRegularFile(p) || !p.getFileName().toString().startsWith("unmask-")) {
                continue;
            }
            try (JarFile jar = new JarFile(p.toFile())) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (name.startsWith("dev/unmask/") && name.endsWith(".class") && !name.contains("module-info")) {
                        try {
                            Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                        } catch (ClassNotFoundException | LinkageError ex) {
                            // A class whose optional dependency is absent: not worth archiving.
                        }
                    }
                }
            }
        }
    }
}
