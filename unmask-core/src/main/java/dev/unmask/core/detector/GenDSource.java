package dev.unmask.core.detector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unmask.core.UserError;
import dev.unmask.core.hub.ModelCards;
import dev.unmask.core.hub.ModelPuller;
import dev.unmask.core.hub.PulledSnapshot;
import dev.unmask.core.io.AtomicFiles;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where a GenD detector folder came from, for its provenance: the Hub repo and commit it was pulled
 * at (its {@code pull.json}), every file's SHA-256 (checked against the folder: a file changed since
 * the pull is refused), the backbone repo its configs came from, the paper and the weights' licence.
 * Also the folder's calibration ({@value #CALIBRATION}), written by {@code unmask calibrate}.
 */
public final class GenDSource {
    /** The sidecar {@code unmask calibrate} writes into a GenD detector folder: threshold, rule, calibration record. */
    public static final String CALIBRATION = "unmask-calibration.json";
    static final String CALIBRATION_FORMAT = "unmask-gend-calibration/1";
    public static final String PAPER = "Yermakov, Cech, Matas, Fritz: Deepfake Detection that Generalizes Across Benchmarks, WACV 2026 (arXiv:2508.06248)";
    public static final String CODE = "https://github.com/yermandy/GenD";
    /** Small files are hashed again on every load; the weights' hash comes from the loader, which computes it anyway. */
    private static final long REHASH_LIMIT = 16L << 20;
    private static final String WEIGHTS = "model.safetensors";
    private static final SecureRandom RANDOM = new SecureRandom();

    private GenDSource() {}

    /** The {@code provenance.source} object of a GenD detector folder; {@code weightsSha256} is its weights' hash as loaded. */
    static ObjectNode describe(Path dir, String backboneRepo, String weightsSha256) {
        ObjectNode o = StrictJson.mapper().createObjectNode();
        o.put("kind", "GenD");
        PulledSnapshot pulled;
        try {
            pulled = PulledSnapshot.readFrom(dir).orElse(null);
        } catch (UserError e) {
            throw new UserError(dir + ": its " + PulledSnapshot.MANIFEST + " cannot be read (" + e.getMessage() + "); pull the detector again");
        }
        Map<String, String> files = new TreeMap<>();
        ObjectNode backbone = StrictJson.mapper().createObjectNode();
        backbone.put("repo", backboneRepo);
        String license = ModelPuller.LICENSE_UNKNOWN;
        String licenseFrom = ModelPuller.LICENSE_FROM_NOWHERE;
        if (pulled != null) {
            o.put("repo", pulled.repo().id());
            o.put("revision", pulled.revision());
            o.put("commit", pulled.commit());
            o.put("endpoint", pulled.endpoint());
            o.put("pulled_at", pulled.pulledAt().toString());
            for (PulledSnapshot.PulledFile f : pulled.files()) {
                files.put(f.name(), checked(dir, f, weightsSha256));
            }
            if (pulled.backbone() != null) {
                backbone.put("commit", pulled.backbone().commit());
                backbone.put("configs_from", pulled.backbone().source());
            }
            if (pulled.license() != null) {
                license = pulled.license().id();
                licenseFrom = pulled.license().from();
            }
        } else {
            for (String f : new String[] {"repo", "revision", "commit", "endpoint", "pulled_at"}) {
                o.putNull(f);
            }
            for (Path p : listed(dir, false)) {
                String name = dir.relativize(p).toString().replace('\\', '/');
                files.put(name, name.equals(WEIGHTS) ? weightsSha256 : Hashing.sha256(p));
            }
            Path card = dir.resolve("README.md");
            try {
                if (Files.isRegularFile(card) && Files.size(card) < REHASH_LIMIT) {
                    var stated = ModelCards.license(Files.readString(card, StandardCharsets.UTF_8));
                    if (stated.isPresent()) {
                        license = stated.get();
                        licenseFrom = ModelPuller.LICENSE_FROM_CARD;
                    }
                }
            } catch (IOException e) {
                throw new UserError(card + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
            }
        }
        if (!backbone.has("commit")) {
            backbone.putNull("commit");
            backbone.put("configs_from", "folder");
        }
        ObjectNode fileNode = o.putObject("files");
        files.forEach(fileNode::put);
        o.set("backbone", backbone);
        o.put("paper", PAPER);
        o.put("code", CODE);
        o.put("license", license);
        o.put("license_from", licenseFrom);
        return o;
    }

    /** The recorded hash of a pulled file, after checking the file is still what was pulled. */
    private static String checked(Path dir, PulledSnapshot.PulledFile f, String weightsSha256) {
        Path p = dir.resolve(f.name());
        try {
            if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
                throw new UserError(dir + ": " + f.name() + " is missing or not the size " + PulledSnapshot.MANIFEST + " records; pull the detector again");
            }
            String now = f.name().equals(WEIGHTS) ? weightsSha256 : f.size() <= REHASH_LIMIT ? Hashing.sha256(p) : f.sha256();
            if (!now.equals(f.sha256())) {
                throw new UserError(dir + ": " + f.name() + " has changed since it was pulled (SHA-256 " + now + ", pulled " + f.sha256()
                        + "); pull the detector again");
            }
            return f.sha256();
        } catch (IOException e) {
            throw new UserError(p + ": cannot read (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
    }

    /**
     * A folder's files that make the detector, as GenD's Hub repos hold them: config, weights (one
     * file, or an index and its shards), model card, and the backbone's configs; with
     * {@code withManifest}, also its {@code pull.json}. Anything else in the folder (a user's
     * notes, test images) is neither hashed nor copied.
     */
    private static List<Path> listed(Path dir, boolean withManifest) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("config.json") || n.equals("README.md") || n.equals("preprocessor_config.json") || n.endsWith(".safetensors")
                        || n.equals("model.safetensors.index.json") || (withManifest && n.equals(PulledSnapshot.MANIFEST));
            }).filter(p -> !p.getFileName().toString().startsWith(".")).forEach(out::add);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list (" + StrictJson.oneLine(e.getMessage()) + ")");
        }
        for (String f : new String[] {"config.json", "preprocessor_config.json"}) {
            Path p = dir.resolve(PulledSnapshot.BACKBONE_DIR).resolve(f);
            if (Files.isRegularFile(p)) {
                out.add(p);
            }
        }
        out.sort(Comparator.comparing(Path::toString));
        return out;
    }

    /**
     * The folder's calibration sidecar ({@code threshold}, {@code threshold_rule}, {@code calibration}),
     * checked, or null when it has none. A sidecar written for other weights is refused.
     */
    static JsonNode calibration(Path dir, String weightsSha256) {
        Path f = dir.resolve(CALIBRATION);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        JsonNode c = StrictJson.read(f);
        if (!CALIBRATION_FORMAT.equals(c.path("format").asText(null))) {
            throw new UserError(f + ": not an Unmask calibration (format " + CALIBRATION_FORMAT + ")");
        }
        JsonNode t = c.get("threshold");
        if (t == null || !t.isNumber() || !(t.asDouble() >= 0 && t.asDouble() <= 1)) {
            throw new UserError(f + ": \"threshold\" must be a number in [0, 1]");
        }
        if (!c.path("threshold_rule").isTextual() || !c.path("calibration").isObject()) {
            throw new UserError(f + ": needs a \"threshold_rule\" string and a \"calibration\" object");
        }
        String calibratedOn = c.path("calibration").path("source_sha256").asText("");
        if (!calibratedOn.equals(weightsSha256)) {
            throw new UserError(f + ": the threshold was chosen for other weights (SHA-256 " + StrictJson.oneLine(calibratedOn)
                    + "), not this folder's " + weightsSha256 + "; calibrate again");
        }
        return c;
    }

    static void writeCalibrated(Path source, Path dest, double threshold, String rule, ObjectNode calibration) throws IOException {
        if (!Double.isFinite(threshold) || threshold < 0 || threshold > 1) {
            throw new UserError("the threshold must be a number in [0, 1], got " + threshold);
        }
        if (Files.exists(dest)) {
            throw new UserError(dest + ": exists; --out names the new detector folder to write");
        }
        Path parent = dest.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + dest.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".partial");
        Files.createDirectory(tmp);
        try {
            for (Path p : listed(source, true)) {
                Path to = tmp.resolve(source.relativize(p).toString());
                Files.createDirectories(to.getParent());
                try {
                    Files.createLink(to, p.toRealPath());
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            ObjectNode c = StrictJson.mapper().createObjectNode();
            c.put("format", CALIBRATION_FORMAT);
            c.put("threshold", threshold);
            c.put("threshold_rule", rule);
            c.set("calibration", calibration);
            AtomicFiles.writeString(tmp.resolve(CALIBRATION), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                try (Stream<Path> s = Files.walk(tmp)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
