package dev.unmask.media.dataset;

import java.nio.file.Path;

/**
 * One video (or image) of a dataset, with where it belongs.
 *
 * @param file the media file
 * @param key its path under the dataset root without extension, '/'-separated: names its crop folder
 *     and is its {@code video} id in the datalists
 * @param label 0 = real, ≥ 1 = fake, the value being the manipulation id
 * @param method the manipulation's name ("real" for real videos)
 * @param split where the protocol puts it
 */
public record VideoEntry(Path file, String key, int label, String method, Split split) {
    public VideoEntry {
        if (key.isEmpty() || key.startsWith("/") || key.contains("\\") || ("/" + key + "/").contains("/../")
                || ("/" + key + "/").contains("/./")) {
            throw new IllegalArgumentException("unsafe video key " + key);
        }
    }
}
