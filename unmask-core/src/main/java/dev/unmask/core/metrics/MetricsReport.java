package dev.unmask.core.metrics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import java.util.Locale;

/**
 * Metrics at frame level and, when videos are known, at video level (frame probabilities
 * aggregated per video), each optionally with bootstrap confidence intervals. This is what
 * {@code unmask metrics} prints and what evaluation reports reuse.
 */
public final class MetricsReport {
    /**
     * @param threshold decision threshold for acc, hter, acc_real, acc_fake
     * @param videoAggregation how frame probabilities make a video probability
     * @param bootstrap replicates for 95 % intervals; 0 for none
     * @param seed seed of the bootstrap
     */
    public record Options(double threshold, VideoAggregation videoAggregation, int bootstrap, long seed) {
        public Options {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new UserError("threshold must be in [0, 1], got " + threshold);
            }
            if (bootstrap < 0) {
                throw new UserError("the number of bootstrap replicates cannot be negative, got " + bootstrap);
            }
            if (videoAggregation == null) {
                throw new IllegalArgumentException("videoAggregation");
            }
        }

        public static Options defaults() {
            return new Options(BinaryMetrics.DEFAULT_THRESHOLD, VideoAggregation.MEAN, 0, 0);
        }
    }

    /** The metrics at one level, with their intervals when bootstrapped (else null). */
    public record Level(BinaryMetrics metrics, Bootstrap.Result ci) {}

    private final Options options;
    private final Level frame;
    private final Level video;

    private MetricsReport(Options options, Level frame, Level video) {
        this.options = options;
        this.frame = frame;
        this.video = video;
    }

    public static MetricsReport compute(ScoresCsv csv, Options options) {
        return compute(csv.scores(), csv.fake(), csv.video(), csv.videoCount(), options);
    }

    /**
     * @param scores probability of fake per frame
     * @param fake truth per frame
     * @param video video index per frame in {@code [0, videos)}, or null when unknown (no video level)
     * @param videos number of videos
     */
    public static MetricsReport compute(double[] scores, boolean[] fake, int[] video, int videos, Options options) {
        double t = options.threshold();
        BinaryMetrics frameMetrics = BinaryMetrics.compute(scores, fake, t);
        Bootstrap.Result frameCi = options.bootstrap() == 0 ? null
                : Bootstrap.run(scores, fake, video, videos, t, options.bootstrap(), options.seed());
        Level videoLevel = null;
        if (video != null) {
            double[] videoScores = options.videoAggregation().aggregate(scores, video, videos);
            boolean[] videoFake = new boolean[videos];
            for (int i = 0; i < video.length; i++) {
                videoFake[video[i]] |= fake[i];
            }
            for (int i = 0; i < video.length; i++) {
                if (videoFake[video[i]] != fake[i]) {
                    throw new UserError("video #" + video[i] + " has both real and fake frames; a video has one label");
                }
            }
            BinaryMetrics m = BinaryMetrics.compute(videoScores, videoFake, t);
            Bootstrap.Result ci = options.bootstrap() == 0 ? null
                    : Bootstrap.run(videoScores, videoFake, null, 0, t, options.bootstrap(), options.seed());
            videoLevel = new Level(m, ci);
        }
        return new MetricsReport(options, new Level(frameMetrics, frameCi), videoLevel);
    }

    public Options options() {
        return options;
    }

    public Level frame() {
        return frame;
    }

    /** Null when videos are not known. */
    public Level video() {
        return video;
    }

    /** {@code {"frame": {...}, "video": {...}}}, the video object only when videos are known. */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.set("frame", levelJson(frame, null));
        if (video != null) {
            root.set("video", levelJson(video, options.videoAggregation()));
        }
        return root;
    }

    private static ObjectNode levelJson(Level level, VideoAggregation aggregation) {
        BinaryMetrics m = level.metrics();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (aggregation != null) {
            o.put("aggregation", aggregation.label());
            o.put("video_score", aggregation.rule());
            o.put("videos", VideoKeys.RULE);
        }
        o.put("n", m.n());
        o.put("n_real", m.nReal());
        o.put("n_fake", m.nFake());
        o.put("auc", m.auc());
        o.put("ap", m.ap());
        o.put("eer", m.eer());
        o.put("eer_threshold", m.eerThreshold());
        o.put("tpr_at_fpr_1pct", m.tprAtFpr1pct());
        o.put("ece", m.ece());
        o.put("threshold", m.threshold());
        o.put("acc", m.acc());
        o.put("hter", m.hter());
        o.put("acc_real", m.accReal());
        o.put("acc_fake", m.accFake());
        Bootstrap.Result ci = level.ci();
        if (ci != null) {
            ObjectNode c = o.putObject("ci95");
            c.put("replicates", ci.replicates());
            c.put("seed", ci.seed());
            c.put("resampled", ci.byCluster() || aggregation != null ? "videos" : "frames");
            c.put("units", ci.clusters());
            interval(c.putArray("auc"), ci.auc());
            interval(c.putArray("eer"), ci.eer());
            interval(c.putArray("hter"), ci.hter());
            interval(c.putArray("acc"), ci.acc());
        }
        return o;
    }

    private static void interval(ArrayNode a, Bootstrap.Interval i) {
        a.add(i.lo());
        a.add(i.hi());
    }

    /** A plain-text table, one column per level. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        String videoHead = video == null ? null : "video (" + options.videoAggregation().label() + ")";
        row(sb, "", "frame", videoHead);
        BinaryMetrics f = frame.metrics();
        BinaryMetrics v = video == null ? null : video.metrics();
        row(sb, "samples", Long.toString(f.n()), v == null ? null : Long.toString(v.n()));
        row(sb, "real / fake", f.nReal() + " / " + f.nFake(), v == null ? null : v.nReal() + " / " + v.nFake());
        row(sb, "AUC", num(f.auc()), v == null ? null : num(v.auc()));
        row(sb, "average precision", num(f.ap()), v == null ? null : num(v.ap()));
        row(sb, "EER", num(f.eer()), v == null ? null : num(v.eer()));
        row(sb, "EER threshold", num(f.eerThreshold()), v == null ? null : num(v.eerThreshold()));
        row(sb, "TPR at 1% FPR", num(f.tprAtFpr1pct()), v == null ? null : num(v.tprAtFpr1pct()));
        row(sb, "ECE (15 bins)", num(f.ece()), v == null ? null : num(v.ece()));
        String at = " @ " + trim(options.threshold());
        row(sb, "accuracy" + at, num(f.acc()), v == null ? null : num(v.acc()));
        row(sb, "HTER" + at, num(f.hter()), v == null ? null : num(v.hter()));
        row(sb, "accuracy real" + at, num(f.accReal()), v == null ? null : num(v.accReal()));
        row(sb, "accuracy fake" + at, num(f.accFake()), v == null ? null : num(v.accFake()));
        if (frame.ci() != null) {
            Bootstrap.Result fc = frame.ci();
            Bootstrap.Result vc = video == null ? null : video.ci();
            row(sb, "95% CI AUC", ci(fc.auc()), vc == null ? null : ci(vc.auc()));
            row(sb, "95% CI EER", ci(fc.eer()), vc == null ? null : ci(vc.eer()));
            row(sb, "95% CI HTER", ci(fc.hter()), vc == null ? null : ci(vc.hter()));
            row(sb, "95% CI accuracy", ci(fc.acc()), vc == null ? null : ci(vc.acc()));
            sb.append(String.format(Locale.ROOT, "(bootstrap: %d replicates, seed %d, resampling %s)%n",
                    fc.replicates(), fc.seed(), fc.byCluster() ? "videos" : "frames"));
        }
        if (video != null) {
            sb.append("video score: ").append(options.videoAggregation().rule()).append(System.lineSeparator());
            sb.append("videos: ").append(VideoKeys.RULE).append(System.lineSeparator());
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, String frame, String video) {
        sb.append(String.format(Locale.ROOT, "%-22s %-20s", name, frame));
        if (video != null) {
            sb.append(' ').append(video);
        }
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == ' ') {
            end--;
        }
        sb.setLength(end);
        sb.append(System.lineSeparator());
    }

    private static String num(double x) {
        return String.format(Locale.ROOT, "%.4f", x);
    }

    private static String ci(Bootstrap.Interval i) {
        return String.format(Locale.ROOT, "[%.4f, %.4f]", i.lo(), i.hi());
    }

    private static String trim(double x) {
        return x == Math.rint(x) ? String.format(Locale.ROOT, "%.1f", x) : Double.toString(x);
    }
}
