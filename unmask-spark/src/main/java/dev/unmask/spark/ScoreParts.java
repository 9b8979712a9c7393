package dev.unmask.spark;

import dev.unmask.api.FileCheck;
import dev.unmask.core.io.Hashing;
import dev.unmask.media.ImageFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The score job's output: one Parquet file per partition, {@code scores/part-<key>.parquet}, where
 * the key is a hash of the partition's sorted file paths. A task writes its rows under a hidden
 * temporary name (Spark's readers skip names starting with '_' or '.') and renames it into place
 * when all are written, so a file under its final name is complete, and a retried or speculative
 * attempt of the same partition replaces it with the same rows.
 */
final class ScoreParts {
    static final String DIR = "scores";

    /** The per-file report, as columns; frame_scores is every judged face crop's score in frame order. */
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message unmask_score {
              required binary path (STRING);
              required binary kind (STRING);
              optional int32 label;
              optional binary video (STRING);
              required binary verdict (STRING);
              optional double score;
              optional double threshold;
              required int32 frames;
              required int32 frames_with_faces;
              required int32 faces;
              optional group frame_scores (LIST) { repeated group list { optional double element; } }
              optional group face_scores (LIST) { repeated group list { optional double element; } }
              optional binary error (STRING);
              optional double decode_s;
              optional double faces_s;
              optional double model_s;
              optional double wall_s;
              required binary detector (STRING);
              required binary detector_sha256 (STRING);
              required binary part (STRING);
            }
            """);

    private ScoreParts() {}

    /** The partition's key: the same set of files always gives the same part file. */
    static String key(List<ScoreInputs.Item> items) {
        StringBuilder b = new StringBuilder();
        items.stream().map(ScoreInputs.Item::path).sorted().forEach(p -> b.append(p).append('\n'));
        return Hashing.sha256(b.toString()).substring(0, 20);
    }

    static String fileName(String key) {
        return "part-" + key + ".parquet";
    }

    /** A row of the output: what the check found, or, for a check that threw, the file with its error. */
    record Scored(ScoreInputs.Item item, FileCheck check, String kind, String error) {}

    /** Writes one partition's rows and commits them by renaming; returns the committed file. */
    static org.apache.hadoop.fs.Path commit(String out, String key, List<Scored> rows, DetectorCache.Ref detector) {
        Configuration conf = withoutChecksumFiles(new Configuration());
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(out, DIR);
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, fileName(key));
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "_tmp-" + key + "-" + UUID.randomUUID() + ".parquet");
        try {
            FileSystem fs = fileSystem(target, conf);
            fs.mkdirs(dir);
            SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(tmp, conf)).withConf(conf).withType(SCHEMA)
                    .withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
                for (Scored s : rows) {
                    w.write(row(groups.newGroup(), s, detector, key));
                }
            }
            // A retried attempt of this partition may have committed the same rows already: this one replaces them.
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot write the scores (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Local output through the raw local file system, without Hadoop's .crc side files: a killed
     * task would leave one behind, under a name no reader looks at and no run cleans up.
     */
    static Configuration withoutChecksumFiles(Configuration conf) {
        Configuration c = new Configuration(conf);
        c.set("fs.file.impl", RawLocalFileSystem.class.getName());
        c.setBoolean("fs.file.impl.disable.cache", true);
        return c;
    }

    static FileSystem fileSystem(org.apache.hadoop.fs.Path p, Configuration conf) throws IOException {
        return p.getFileSystem(withoutChecksumFiles(conf));
    }

    private static Group row(Group g, Scored s, DetectorCache.Ref detector, String key) {
        g.append("path", s.item().path());
        g.append("kind", s.kind());
        if (s.item().label() != null) {
            g.append("label", s.item().label());
        }
        if (s.item().video() != null) {
            g.append("video", s.item().video());
        }
        FileCheck c = s.check();
        g.append("verdict", c == null ? "error" : c.verdict().id());
        put(g, "score", c == null ? null : c.score());
        put(g, "threshold", c == null ? null : c.threshold());
        g.append("frames", c == null ? 0 : c.frames());
        g.append("frames_with_faces", c == null ? 0 : c.framesWithFaces());
        g.append("faces", c == null ? 0 : c.faces());
        Group frames = g.addGroup("frame_scores");
        Group faces = g.addGroup("face_scores");
        if (c != null) {
            for (FileCheck.FrameFace f : c.frameScores()) {
                put(frames.addGroup("list"), "element", f.score());
            }
            for (FileCheck.FaceTrack t : c.faceScores()) {
                put(faces.addGroup("list"), "element", t.score());
            }
        }
        String error = c == null ? s.error() : c.error();
        if (error != null) {
            g.append("error", error);
        }
        FileCheck.Timings t = c == null ? null : c.timings();
        put(g, "decode_s", t == null ? null : t.decode());
        put(g, "faces_s", t == null ? null : t.faces());
        put(g, "model_s", t == null ? null : t.model());
        put(g, "wall_s", t == null ? null : t.wall());
        g.append("detector", detector.id());
        g.append("detector_sha256", detector.sha256());
        g.append("part", key);
        return g;
    }

    private static void put(Group g, String field, Double v) {
        if (v != null) {
            g.append(field, v);
        }
    }

    /** image, video, or unknown (a file that is neither a still image nor a video that could be opened). */
    static String kind(Path file, FileCheck check) {
        if (ImageFiles.isImage(file)) {
            return "image";
        }
        return check != null && check.media() != null ? "video" : "unknown";
    }
}
