package dev.unmask.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.unmask.core.UserError;
import dev.unmask.core.cache.TensorCache;
import dev.unmask.core.data.Augmentation;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.image.ImageTensor;
import dev.unmask.core.io.ByteSizes;
import dev.unmask.core.io.Hashing;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The usable items of one list and how a batch of them becomes the model's input: records of a
 * {@link TensorCache} (features or frozen-prefix tokens), or decoded images. Missing and
 * unreadable images are reported and left out, never silently.
 */
final class TrainingData {
    /** An item left out, and why. */
    record Skipped(String list, String path, String reason) {}

    /** Reads batches of a split's items as one tensor. */
    interface Source {
        NDArray batch(Split split, int[] positions, NDManager manager);
    }

    /** The usable items of a list, with their content hashes and binary labels (1 = fake). */
    record Split(String name, Datalist list, List<Datalist.Item> items, String[] sha256, int[] labels) {
        int size() {
            return items.size();
        }

        boolean[] fake() {
            boolean[] f = new boolean[labels.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = labels[i] == 1;
            }
            return f;
        }

        /** Video index per item and the number of videos, for video-level reports. */
        int[] videoIndex(Map<String, Integer> ids) {
            int[] v = new int[items.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = ids.computeIfAbsent(items.get(i).video(), k -> ids.size());
            }
            return v;
        }

        Split without(java.util.Set<String> badHashes) {
            List<Datalist.Item> keep = new ArrayList<>();
            List<String> sha = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                if (!badHashes.contains(sha256[i])) {
                    keep.add(items.get(i));
                    sha.add(sha256[i]);
                    labels.add(this.labels[i]);
                }
            }
            return new Split(name, list, keep, sha.toArray(String[]::new), labels.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private TrainingData() {}

    /** Hashes every image of a list; missing or unreadable files are skipped and reported. */
    static Split hash(String name, Datalist list, List<Skipped> skipped, Progress progress) {
        progress.start("hashing " + name + " images", list.size());
        List<Datalist.Item> keep = new ArrayList<>();
        List<String> sha = new ArrayList<>();
        int done = 0;
        for (Datalist.Item item : list.items()) {
            if (!Files.isRegularFile(item.file())) {
                skip(skipped, progress, name, item.relativePath(), "missing");
            } else {
                try {
                    sha.add(Hashing.sha256(item.file()));
                    keep.add(item);
                } catch (UserError e) {
                    skip(skipped, progress, name, item.relativePath(), "unreadable (" + e.getMessage() + ")");
                }
            }
            progress.update(++done, null);
        }
        progress.finish(keep.size() + " usable");
        int[] labels = keep.stream().mapToInt(i -> i.fake() ? 1 : 0).toArray();
        return new Split(name, list, keep, sha.toArray(String[]::new), labels);
    }

    static void skip(List<Skipped> skipped, Progress progress, String list, String path, String reason) {
        skipped.add(new Skipped(list, path, reason));
        progress.message("skipping " + list + " image " + path + ": " + reason);
    }

    /**
     * Computes the cache records of every image not yet cached, {@code batch} at a time; images
     * that cannot be decoded are skipped. Returns the hashes of the skipped images.
     */
    static java.util.Set<String> fill(TensorCache cache, List<Split> splits, Preprocessing pre, int batch,
                                      Function<NDArray, NDArray> compute, NDManager manager, List<Skipped> skipped, Progress progress) {
        Map<String, Datalist.Item> todo = new LinkedHashMap<>();
        Map<String, String> listOf = new LinkedHashMap<>();
        for (Split s : splits) {
            for (int i = 0; i < s.size(); i++) {
                if (!cache.contains(s.sha256()[i]) && !todo.containsKey(s.sha256()[i])) {
                    todo.put(s.sha256()[i], s.items().get(i));
                    listOf.put(s.sha256()[i], s.name());
                }
            }
        }
        java.util.Set<String> bad = new java.util.HashSet<>();
        if (todo.isEmpty()) {
            progress.message("cache " + cache.directory() + ": all " + cache.size() + " records present, the backbone does not run");
            return bad;
        }
        TensorCache.checkSpace(cache.directory(), cache.key(), todo.size());
        progress.start("computing " + cache.key().kind() + " for " + todo.size() + " images ("
                + ByteSizes.format(cache.key().recordBytes() * todo.size()) + " of cache)", todo.size());
        List<Map.Entry<String, Datalist.Item>> entries = new ArrayList<>(todo.entrySet());
        int per = (int) cache.key().recordValues();
        int done = 0;
        for (int start = 0; start < entries.size(); start += batch) {
            List<String> hashes = new ArrayList<>();
            List<float[]> pixels = new ArrayList<>();
            for (Map.Entry<String, Datalist.Item> e : entries.subList(start, Math.min(entries.size(), start + batch))) {
                try {
                    pixels.add(pre.load(e.getValue().file()));
                    hashes.add(e.getKey());
                } catch (UserError err) {
                    bad.add(e.getKey());
                    skip(skipped, progress, listOf.get(e.getKey()), e.getValue().relativePath(), "cannot decode (" + err.getMessage() + ")");
                }
            }
            if (!hashes.isEmpty()) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray images = scope.create(concat(pixels), new Shape(pixels.size(), 3, pre.size(), pre.size()));
                    float[] out = compute.apply(images).toFloatArray();
                    for (int i = 0; i < hashes.size(); i++) {
                        cache.put(hashes.get(i), java.util.Arrays.copyOfRange(out, i * per, (i + 1) * per));
                    }
                }
                cache.flush();
            }
            done = Math.min(entries.size(), start + batch);
            progress.update(done, null);
        }
        progress.finish(cache.size() + " records in " + cache.directory());
        return bad;
    }

    /** Decodes every image once, so a broken file is found before training rather than mid-epoch. */
    static java.util.Set<String> checkDecodable(List<Split> splits, Preprocessing pre, List<Skipped> skipped, Progress progress) {
        java.util.Set<String> bad = new java.util.HashSet<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        long total = splits.stream().mapToLong(Split::size).sum();
        progress.start("checking images", total);
        long done = 0;
        for (Split s : splits) {
            for (int i = 0; i < s.size(); i++) {
                if (seen.add(s.sha256()[i])) {
                    try {
                        pre.load(s.items().get(i).file());
                    } catch (UserError e) {
                        bad.add(s.sha256()[i]);
                        skip(skipped, progress, s.name(), s.items().get(i).relativePath(), "cannot decode (" + e.getMessage() + ")");
                    }
                }
                progress.update(++done, null);
            }
        }
        progress.finish(null);
        return bad;
    }

    static float[] concat(List<float[]> parts) {
        int n = parts.stream().mapToInt(a -> a.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Batches read from cache records. */
    static Source cached(TensorCache cache) {
        long[] rec = cache.key().recordShape();
        int per = (int) cache.key().recordValues();
        return (split, positions, m) -> {
            String[] hashes = new String[positions.length];
            for (int i = 0; i < positions.length; i++) {
                hashes[i] = split.sha256()[positions[i]];
            }
            float[] buf = new float[positions.length * per];
            cache.read(hashes, buf);
            long[] shape = new long[rec.length + 1];
            shape[0] = positions.length;
            System.arraycopy(rec, 0, shape, 1, rec.length);
            return m.create(buf, new Shape(shape));
        };
    }

    /**
     * Batches of {@code compute}'s output (what a cache would hold) on images decoded at every
     * use: the cache's alternative, measured against it by {@code unmask bench --train}. Runs
     * outside autograd: the training step records only its own forward pass.
     */
    static Source computed(Preprocessing pre, int chunk, Function<NDArray, NDArray> compute) {
        return augmented(pre, Augmentation.NONE, 0, 0, compute, chunk);
    }

    /**
     * Training batches of one epoch decoded and augmented afresh, each item with its own stream
     * from (seed, epoch, item), then passed through {@code frozen} (the identity, the frozen
     * prefix, or the probe's feature extraction). It runs here, before the training step
     * records autograd, so the frozen part computes no gradients.
     */
    static Source augmented(Preprocessing pre, Augmentation augmentation, long seed, int epoch, Function<NDArray, NDArray> frozen, int chunk) {
        return (split, positions, m) -> {
            List<float[]> pixels = new ArrayList<>();
            for (int p : positions) {
                int[][][] rgb = ImageTensor.readRgb(split.items().get(p).file());
                pixels.add(pre.normalise(augmentation.apply(rgb, RandomStreams.of(seed, RandomStreams.AUGMENT, epoch, p))));
            }
            // The frozen part runs in chunks, as when filling a cache: a whole training batch at
            // once would hold its attention maps for every image.
            NDList parts = new NDList();
            for (int start = 0; start < pixels.size(); start += chunk) {
                List<float[]> slice = pixels.subList(start, Math.min(pixels.size(), start + chunk));
                NDArray images = m.create(concat(slice), new Shape(slice.size(), 3, pre.size(), pre.size()));
                NDArray out = frozen.apply(images);
                if (out != images) {
                    images.close();
                }
                parts.add(out);
            }
            if (parts.size() == 1) {
                return parts.get(0);
            }
            NDArray batch = NDArrays.concat(parts, 0);
            parts.close();
            return batch;
        };
    }

    /** Batches decoded from the image files at every use. */
    static Source images(Preprocessing pre) {
        return (split, positions, m) -> {
            List<float[]> pixels = new ArrayList<>();
            for (int p : positions) {
                pixels.add(pre.load(split.items().get(p).file()));
            }
            return m.create(concat(pixels), new Shape(positions.length, 3, pre.size(), pre.size()));
        };
    }
}
