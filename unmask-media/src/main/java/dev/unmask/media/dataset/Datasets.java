package dev.unmask.media.dataset;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a dataset's videos, labels and splits by layout. */
public final class Datasets {
    private Datasets() {}

    /**
     * @param compression FaceForensics++ only (raw, c23, c40)
     * @param ffppSplits FaceForensics++ only: folder of train/val/test.json (null: ROOT/splits)
     */
    public static List<VideoEntry> scan(DatasetKind kind, Path root, String compression, Path ffppSplits) {
        return switch (kind) {
            case FFPP -> FaceForensics.scan(root, compression, ffppSplits != null ? ffppSplits : root.resolve("splits"));
            case CELEBDF -> CelebDf.scan(root);
            case DFDC -> Dfdc.scan(root);
            case FOLDERS -> RealFakeFolders.scan(root);
        };
    }

    /** What defines the dataset's entries, stored with an extraction so a resumed run reads the same one. */
    public static Map<String, Object> description(DatasetKind kind, Path root, String compression, Path ffppSplits) {
        Map<String, Object> d = new HashMap<>();
        d.put("layout", kind.cliName());
        d.put("root", root.toAbsolutePath().normalize().toString());
        if (kind == DatasetKind.FFPP) {
            d.put("compression", compression);
            d.put("splits", (ffppSplits != null ? ffppSplits : root.resolve("splits")).toAbsolutePath().normalize().toString());
        }
        return d;
    }
}
