package dev.unmask.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.UserError;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Short names for the backbones the paper compares, and for published detectors (GenD), mapped to
 * Hub repos. The table is data ({@code backbones.json} beside this class) so that adding a backbone
 * never touches code. Any other model is named by its repo, {@code OWNER/NAME}, e.g.
 * {@code timm/vit_small_patch14_dinov2.lvd142m}.
 *
 * <p>A detector entry may name the backbone repo its weights sit on; where that repo is gated,
 * Unmask ships the backbone's {@code config.json} and {@code preprocessor_config.json} (resources
 * under {@code backbone-configs/OWNER--NAME/}), so a user without access still gets the detector.
 * An entry with {@code refused} names a variant Unmask cannot run: using it is that one line.
 */
public final class BackboneRegistry {
    static final String RESOURCE = "backbones.json";
    private static final String FORMAT = "unmask-backbones/1";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_]*");
    private static final Set<String> ENTRY_FIELDS = Set.of("repo", "family", "kind");
    private static final Set<String> DETECTOR_FIELDS = Set.of("repo", "family", "backbone", "license", "refused");
    /** Where the backbone configs shipped for gated backbone repos lie, beside this class. */
    static final String SHIPPED_CONFIGS = "backbone-configs/";

    /** One named backbone. {@code kind} is {@code vit} or {@code convnet}. */
    public record Backbone(String name, RepoId repo, String family, String kind) {}

    /**
     * One named published detector.
     *
     * @param backbone the backbone repo its config names, or null when not recorded
     * @param license  the weights' licence when known here (the model card's front matter wins), else null
     * @param refused  why Unmask cannot run it (one line), or null
     */
    public record DetectorEntry(String name, RepoId repo, String family, RepoId backbone, String license, String refused) {}

    private static volatile BackboneRegistry builtIn;

    private final Map<String, Backbone> byName;
    private final Map<String, DetectorEntry> detectors;

    private BackboneRegistry(Map<String, Backbone> byName, Map<String, DetectorEntry> detectors) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
        this.detectors = Collections.unmodifiableMap(new TreeMap<>(detectors));
    }

    /** The registry shipped with Unmask. */
    public static BackboneRegistry builtIn() {
        BackboneRegistry r = builtIn;
        if (r == null) {
            try (InputStream in = BackboneRegistry.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is missing from the class path");
                }
                r = parse(in.readAllBytes(), RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            builtIn = r;
        }
        return r;
    }

    /** Parses a registry file; every mistake is a {@link UserError} naming the entry. */
    public static BackboneRegistry parse(byte[] json, String what) {
        JsonNode root = StrictJson.parse(json, what);
        if (!FORMAT.equals(root.path("format").asText(null))) {
            throw new UserError(what + ": \"format\" must be \"" + FORMAT + "\"");
        }
        JsonNode entries = root.get("backbones");
        if (entries == null || !entries.isObject()) {
            throw new UserError(what + ": no \"backbones\" object");
        }
        Map<String, Backbone> byName = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : entries.properties()) {
            String name = e.getKey();
            JsonNode entry = e.getValue();
            if (!NAME.matcher(name).matches()) {
                throw new UserError(what + ": backbone name \"" + name + "\" must be lower-case letters, digits and '_'");
            }
            if (!entry.isObject()) {
                throw new UserError(what + ": backbone \"" + name + "\" must be an object");
            }
            for (Iterator<String> f = entry.fieldNames(); f.hasNext(); ) {
                String field = f.next();
                if (!ENTRY_FIELDS.contains(field)) {
                    throw new UserError(what + ": backbone \"" + name + "\" has unknown field \"" + field + "\"");
                }
            }
            RepoId repo = RepoId.parse(text(entry, "repo", name, what));
            String kind = text(entry, "kind", name, what);
            if (!kind.equals("vit") && !kind.equals("convnet")) {
                throw new UserError(what + ": backbone \"" + name + "\": kind must be \"vit\" or \"convnet\"");
            }
            byName.put(name, new Backbone(name, repo, text(entry, "family", name, what), kind));
        }
        Map<String, DetectorEntry> detectors = new TreeMap<>();
        JsonNode detectorEntries = root.get("detectors");
        if (detectorEntries != null) {
            if (!detectorEntries.isObject()) {
                throw new UserError(what + ": \"detectors\" must be an object");
            }
            for (Map.Entry<String, JsonNode> e : detectorEntries.properties()) {
                String name = e.getKey();
                JsonNode entry = e.getValue();
                if (!NAME.matcher(name).matches() || byName.containsKey(name)) {
                    throw new UserError(what + ": detector name \"" + name + "\" must be lower-case letters, digits and '_', and not a backbone's");
                }
                if (!entry.isObject()) {
                    throw new UserError(what + ": detector \"" + name + "\" must be an object");
                }
                for (Iterator<String> f = entry.fieldNames(); f.hasNext(); ) {
                    String field = f.next();
                    if (!DETECTOR_FIELDS.contains(field)) {
                        throw new UserError(what + ": detector \"" + name + "\" has unknown field \"" + field + "\"");
                    }
                }
                RepoId backbone = entry.has("backbone") ? RepoId.parse(text(entry, "backbone", name, what)) : null;
                detectors.put(name, new DetectorEntry(name, RepoId.parse(text(entry, "repo", name, what)), text(entry, "family", name, what),
                        backbone, entry.has("license") ? text(entry, "license", name, what) : null,
                        entry.has("refused") ? text(entry, "refused", name, what) : null));
            }
        }
        return new BackboneRegistry(byName, detectors);
    }

    private static String text(JsonNode entry, String field, String name, String what) {
        JsonNode v = entry.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new UserError(what + ": backbone \"" + name + "\" needs a \"" + field + "\" string");
        }
        return v.asText();
    }

    public Optional<Backbone> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** All backbones, ordered by name. */
    public Collection<Backbone> all() {
        return byName.values();
    }

    /** All published detectors, ordered by name. */
    public Collection<DetectorEntry> detectors() {
        return detectors.values();
    }

    /** The detector entry of a repo, by its id (case as the Hub spells it), if the registry has one. */
    public Optional<DetectorEntry> detectorFor(RepoId repo) {
        return detectors.values().stream().filter(d -> d.repo().id().equalsIgnoreCase(repo.id())).findFirst();
    }

    /**
     * The {@code config.json} and {@code preprocessor_config.json} Unmask ships for a (gated)
     * backbone repo, by file name; empty when it ships none for that repo.
     */
    public static Map<String, byte[]> shippedBackboneConfigs(RepoId backbone) {
        Map<String, byte[]> out = new TreeMap<>();
        for (String file : new String[] {WeightFiles.CONFIG, WeightFiles.PREPROCESSOR}) {
            try (InputStream in = BackboneRegistry.class.getResourceAsStream(SHIPPED_CONFIGS + backbone.cacheDirName() + "/" + file)) {
                if (in != null) {
                    out.put(file, in.readAllBytes());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out.containsKey(WeightFiles.CONFIG) ? out : Map.of();
    }

    /**
     * The repo a user means: a registry name, or {@code OWNER/NAME} taken as is. Anything else is
     * a {@link UserError} that lists the known names.
     */
    public RepoId repoFor(String nameOrRepo) {
        if (nameOrRepo.contains("/")) {
            RepoId repo = RepoId.parse(nameOrRepo);
            detectorFor(repo).ifPresent(BackboneRegistry::refuseIfRefused);
            return repo;
        }
        DetectorEntry d = detectors.get(nameOrRepo);
        if (d != null) {
            refuseIfRefused(d);
            return d.repo();
        }
        Backbone b = byName.get(nameOrRepo);
        if (b == null) {
            throw new UserError("unknown backbone \"" + nameOrRepo + "\"; known names: "
                    + String.join(", ", byName.keySet()) + "; detectors: " + String.join(", ", detectors.keySet())
                    + "; or give a Hub repo as OWNER/NAME");
        }
        return b.repo();
    }

    private static void refuseIfRefused(DetectorEntry d) {
        if (d.refused() != null) {
            throw new UserError(d.name() + " (" + d.repo() + "): " + d.refused());
        }
    }
}
