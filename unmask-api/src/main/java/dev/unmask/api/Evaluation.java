package dev.unmask.api;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.data.Datalist;
import dev.unmask.core.data.Preprocessing;
import dev.unmask.core.metrics.MetricsReport;
import dev.unmask.core.metrics.VideoAggregation;
import dev.unmask.core.metrics.VideoKeys;
import dev.unmask.core.train.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Scores face crops listed in datalists with a detector and computes the metrics: pooled (as the
 * authors' test_multiple_datalist), per list, and per manipulation method against all real
 * items. acc and HTER use the threshold stored in the detector (chosen at the validation EER),
 * never the test set's own. No face detection is run: the lists hold crops.
 */
public final class Evaluation {
    static final int BATCH = 16;

    private Evaluation() {}

    /**
     * @param allowLinksOutsideRoot let list items be symlinks to files outside {@code root}
     */
    public static EvalReport run(Path detectorFile, Path backbone, List<Path> tests, Path root, boolean allowLinksOutsideRoot,
                                 VideoAggregation aggregation, int bootstrap, long seed, Progress progress) {
        Unmask.configureEngine();
        List<Datalist> lists = new ArrayList<>();
        for (Path t : tests) {
            lists.add(Datalist.read(t, root, allowLinksOutsideRoot));
        }
        List<EvalReport.Scored> scored = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        EvalReport.EvaluatedDetector info;
        List<dev.unmask.core.detector.TrainingLog.Epoch> trainingLog;
        try (NDManager m = NDManager.newBaseManager(); dev.unmask.core.detector.Detector d = dev.unmask.core.detector.Detector.open(detectorFile, backbone, Detector.genDCropContract(), m)) {
            trainingLog = d.trainingLog();
            info = new EvalReport.EvaluatedDetector(detectorFile.toAbsolutePath().toString(), d.spec().approach(), d.spec().head().features(),
                    d.threshold(), d.spec().backbone().sha256(), d.manifest().path("crop_contract"));
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
        MetricsReport.Options options = new MetricsReport.Options(info.threshold(), aggregation, bootstrap, seed);
        JsonNode pooled = metrics(scored, options, "all lists");
        Map<String, JsonNode> perList = null;
        if (lists.size() > 1) {
            perList = new LinkedHashMap<>();
            for (int li = 0; li < lists.size(); li++) {
                String name = listName(li);
                com.fasterxml.jackson.databind.node.ObjectNode o = metrics(scored.stream().filter(s -> s.list().equals(name)).toList(), options, name);
                o.put("source", lists.get(li).source().toString());
                perList.put(name, o);
            }
        }
        TreeSet<Integer> methods = new TreeSet<>();
        scored.forEach(s -> {
            if (s.label() > 0) {
                methods.add(s.label());
            }
        });
        Map<String, JsonNode> perMethod = null;
        if (methods.size() > 1) {
            // Each method against ALL real items: a list of one method's fakes alone has no AUC.
            perMethod = new LinkedHashMap<>();
            for (int method : methods) {
                perMethod.put(Integer.toString(method),
                        metrics(scored.stream().filter(s -> s.label() == 0 || s.label() == method).toList(), options, "method " + method));
            }
        }
        return new EvalReport(Unmask.SCHEMA_VERSION, info, pooled, perList, perMethod, skipped, scored, trainingLog);
    }

    private static String listName(int i) {
        return "test" + (i + 1);
    }

    private static void score(dev.unmask.core.detector.Detector d, NDManager m, Datalist list, String name, String videoPrefix,
                              List<EvalReport.Scored> scored, List<String> skipped, Progress progress) {
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
                        scored.add(new EvalReport.Scored(name, it.relativePath(), it.label(), videoPrefix + it.video(), s[i]));
                    }
                }
                batch.clear();
                pixels.clear();
            }
            progress.update(done, null);
        }
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode metrics(List<EvalReport.Scored> items, MetricsReport.Options options, String what) {
        double[] scores = new double[items.size()];
        boolean[] fake = new boolean[items.size()];
        int[] video = new int[items.size()];
        VideoKeys videos = new VideoKeys();
        for (int i = 0; i < scores.length; i++) {
            EvalReport.Scored s = items.get(i);
            scores[i] = s.score();
            fake[i] = s.label() > 0;
            video[i] = videos.id(s.video(), fake[i]);
        }
        try {
            return MetricsReport.compute(scores, fake, video, videos.count(), options).toJson();
        } catch (UserError e) {
            throw new UserError(what + ": " + e.getMessage(), e);
        }
    }
}
