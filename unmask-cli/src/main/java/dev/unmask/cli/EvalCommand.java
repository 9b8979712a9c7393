package dev.unmask.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.detector.Detector;
import dev.unmask.core.detector.TrainingLog;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.StrictJson;
import dev.unmask.core.metrics.MetricsReport;
import dev.unmask.core.metrics.VideoAggregation;
import dev.unmask.core.train.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unmask eval}: a detector on test lists, with the threshold it chose on validation data. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score test lists with a detector and write scores.csv, metrics.json, roc.png, histogram.png and training.png"
                + " (the training curves stored in the detector).",
            "Several --test lists are pooled (as the authors' test_multiple_datalist) and also reported one by one;"
                    + " with manipulation ids, each method is reported against all real items.",
            "acc/hter use the threshold stored in the detector (chosen at the validation EER), never the test set's own."})
final class EvalCommand implements Callable<Integer> {
    static final int BATCH = 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--detector", required = true, paramLabel = "D.unmask", description = "Detector file written by unmask train.")
    Path detector;

    @Option(names = "--test", required = true, paramLabel = "LIST|DIR", description = "Test list (repeatable).")
    List<Path> tests;

    @Option(names = "--root", paramLabel = "DIR", description = "Folder the list paths are relative to.")
    Path root;

    @Option(names = "--allow-links-outside-root", description = "Follow symlinks that lead out of --root (or the data folder);"
            + " without it such an item is refused, as a path with .. is.")
    boolean allowLinksOutsideRoot;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for scores.csv and metrics.json.")
    Path out;

    @Option(names = "--backbone", paramLabel = "DIR", description = "Backbone folder, when not where the detector was trained (its SHA-256 must match).")
    Path backbone;

    @Option(names = "--video-agg", defaultValue = "mean", paramLabel = "mean|median|max", description = "Video score from frame scores. Default: ${DEFAULT-VALUE}.")
    String videoAgg;

    @Option(names = "--bootstrap", defaultValue = "0", paramLabel = "N", description = "Bootstrap replicates for 95%% intervals (default: none).")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Bootstrap seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** One scored image. */
    record Scored(String list, String path, int label, String video, double score) {}

    @Override
    public Integer call() {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserError(out + " is a file; --out names a folder");
        }
        VideoAggregation aggregation = VideoAggregation.parse(videoAgg);
        List<Datalist> lists = new ArrayList<>();
        for (Path t : tests) {
            lists.add(Datalist.read(t, root, allowLinksOutsideRoot));
        }
        Progress progress = Progress.console(spec.commandLine().getErr(), System.console() != null);
        List<Scored> scored = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        ObjectNode detectorInfo;
        double threshold;
        List<TrainingLog.Epoch> trainingLog;
        try (NDManager m = NDManager.newBaseManager(); Detector d = Detector.load(detector, backbone, m)) {
            threshold = d.threshold();
            trainingLog = d.trainingLog();
            detectorInfo = StrictJson.mapper().createObjectNode();
            detectorInfo.put("path", detector.toAbsolutePath().toString());
            detectorInfo.put("approach", d.spec().approach());
            detectorInfo.put("features", d.spec().head().features());
            detectorInfo.put("threshold", threshold);
            detectorInfo.put("backbone_sha256", d.spec().backbone().sha256());
            detectorInfo.set("crop_contract", d.manifest().path("crop_contract"));
            for (int li = 0; li < lists.size(); li++) {
                Datalist list = lists.get(li);
                String name = listName(li);
                progress.start("scoring " + list.source(), list.size());
                score(d, m, list, name, lists.size() > 1 ? name + ":" : "", scored, skipped, progress);
                progress.finish(null);
            }
        }
        if (scored.isEmpty()) {
            throw new UserError("no test image could be scored");
        }
        MetricsReport.Options options = new MetricsReport.Options(threshold, aggregation, bootstrap, seed);
        ObjectNode root = StrictJson.mapper().createObjectNode();
        root.set("detector", detectorInfo);
        root.set("pooled", report(scored, options, "all lists"));
        if (lists.size() > 1) {
            ObjectNode per = root.putObject("lists");
            for (int li = 0; li < lists.size(); li++) {
                String name = listName(li);
                ObjectNode o = report(scored.stream().filter(s -> s.list().equals(name)).toList(), options, name);
                o.put("source", lists.get(li).source().toString());
                per.set(name, o);
            }
        }
        TreeSet<Integer> methods = new TreeSet<>();
        scored.forEach(s -> {
            if (s.label() > 0) {
                methods.add(s.label());
            }
        });
        if (methods.size() > 1) {
            // Each method against ALL real items: a list of one method's fakes alone has no AUC.
            ObjectNode per = root.putObject("methods");
            for (int method : methods) {
                per.set(Integer.toString(method),
                        report(scored.stream().filter(s -> s.label() == 0 || s.label() == method).toList(), options, "method " + method));
            }
        }
        ArrayNode sk = root.putArray("skipped");
        skipped.forEach(sk::add);
        try {
            Files.createDirectories(out);
            AtomicFiles.writeString(out.resolve("scores.csv"), scoresCsv(scored));
            AtomicFiles.writeString(out.resolve("metrics.json"), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
            EvalPlots.write(out, scored);
            EvalPlots.writeTraining(out, trainingLog);
        } catch (IOException e) {
            throw new UserError(out + ": cannot write results (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        var o = spec.commandLine().getOut();
        var f = root.path("pooled").path("frame");
        o.printf(Locale.ROOT, "scored     %d images%s%n", scored.size(), skipped.isEmpty() ? "" : ", skipped " + skipped.size());
        o.printf(Locale.ROOT, "frames     AUC %.4f, EER %.4f, at threshold %.6f: acc %.4f, HTER %.4f%n", f.path("auc").asDouble(),
                f.path("eer").asDouble(), threshold, f.path("acc").asDouble(), f.path("hter").asDouble());
        if (root.path("pooled").has("video")) {
            var v = root.path("pooled").path("video");
            o.printf(Locale.ROOT, "videos     AUC %.4f, EER %.4f, acc %.4f (%s of frame scores)%n", v.path("auc").asDouble(),
                    v.path("eer").asDouble(), v.path("acc").asDouble(), aggregation.label());
        }
        o.printf(Locale.ROOT, "written    %s, %s, %s, %s%n", out.resolve("scores.csv"), out.resolve("metrics.json"),
                out.resolve("roc.png"), out.resolve("histogram.png"));
        if (!trainingLog.isEmpty()) {
            o.printf(Locale.ROOT, "           %s (from the detector's log of %d epochs)%n", out.resolve(EvalPlots.TRAINING_PNG), trainingLog.size());
        }
        o.flush();
        return 0;
    }

    private static String listName(int i) {
        return "test" + (i + 1);
    }

    private static void score(Detector d, NDManager m, Datalist list, String name, String videoPrefix, List<Scored> scored,
                              List<String> skipped, Progress progress) {
        Preprocessing pre = d.preprocessing();
        List<Datalist.Item> batch = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        int done = 0;
        for (Datalist.Item item : list.items()) {
            try {
                pixels.add(pre.load(item.file()));
                batch.add(item);
            } catch (UserError e) {
                skipped.add(name + " " + item.relativePath() + ": " + e.getMessage());
                progress.message("skipping " + item.relativePath() + ": " + e.getMessage());
            }
            done++;
            if (batch.size() == BATCH || done == list.size() && !batch.isEmpty()) {
                float[] flat = new float[pixels.size() * pre.valuesPerImage()];
                for (int i = 0; i < pixels.size(); i++) {
                    System.arraycopy(pixels.get(i), 0, flat, i * pre.valuesPerImage(), pre.valuesPerImage());
                }
                try (NDManager scope = m.newSubManager()) {
                    float[] s = d.score(scope.create(flat, new Shape(pixels.size(), 3, pre.size(), pre.size())));
                    for (int i = 0; i < s.length; i++) {
                        Datalist.Item it = batch.get(i);
                        if (!Float.isFinite(s[i])) {
                            throw new UserError(it.file() + ": the detector gives a non-finite score (" + s[i]
                                    + "); its weights or its backbone's overflow float32 or are broken");
                        }
                        scored.add(new Scored(name, it.relativePath(), it.label(), videoPrefix + it.video(), s[i]));
                    }
                }
                batch.clear();
                pixels.clear();
            }
            progress.update(done, null);
        }
    }

    private static ObjectNode report(List<Scored> items, MetricsReport.Options options, String what) {
        double[] scores = new double[items.size()];
        boolean[] fake = new boolean[items.size()];
        int[] video = new int[items.size()];
        Map<String, Integer> ids = new HashMap<>();
        Map<String, Boolean> videoFake = new HashMap<>();
        String mixed = null;
        for (int i = 0; i < scores.length; i++) {
            Scored s = items.get(i);
            scores[i] = s.score();
            fake[i] = s.label() > 0;
            video[i] = ids.computeIfAbsent(s.video(), k -> ids.size());
            if (videoFake.merge(s.video(), fake[i], (a, b) -> a == b ? a : null) == null && mixed == null) {
                mixed = s.video();
            }
        }
        try {
            // Without a video column the folder is the video; a folder of both real and fake
            // frames is not one video, so the video level is left out rather than made up.
            ObjectNode o = MetricsReport.compute(scores, fake, mixed == null ? video : null, ids.size(), options).toJson();
            if (mixed != null) {
                o.put("video_level", "left out: '" + mixed + "' holds both real and fake items (give a video column to group frames)");
            }
            return o;
        } catch (UserError e) {
            throw new UserError(what + ": " + e.getMessage(), e);
        }
    }

    /** path,label,score,video — readable by {@code unmask metrics}; scores exact (the float widened to double). */
    static String scoresCsv(List<Scored> scored) {
        StringBuilder sb = new StringBuilder("path,label,score,video\n");
        for (Scored s : scored) {
            sb.append(quote(s.path())).append(',').append(s.label()).append(',').append(Double.toString(s.score())).append(',')
                    .append(quote(s.video())).append('\n');
        }
        return sb.toString();
    }

    static String quote(String v) {
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) {
            return v;
        }
        return '"' + v.replace("\"", "\"\"") + '"';
    }
}
