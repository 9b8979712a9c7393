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
 * Short names for the backbones the paper compares, mapped to Hub repos. The table is data
 * ({@code backbones.json} beside this class) so that adding a backbone never touches code. Any
 * other model is named by its repo, {@code OWNER/NAME}, e.g. {@code timm/vit_small_patch14_dinov2.lvd142m}.
 */
public final class BackboneRegistry {
    static final String RESOURCE = "backbones.json";
    private static final String FORMAT = "unmask-backbones/1";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_]*");
    private static final Set<String> ENTRY_FIELDS = Set.of("repo", "family", "kind");

    /** One named backbone. {@code kind} is {@code vit} or {@code convnet}. */
    public record Backbone(String name, RepoId repo, String family, String kind) {}

    private static volatile BackboneRegistry builtIn;

    private final Map<String, Backbone> byName;

    private BackboneRegistry(Map<String, Backbone> byName) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
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
        return new BackboneRegistry(byName);
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

    /**
     * The repo a user means: a registry name, or {@code OWNER/NAME} taken as is. Anything else is
     * a {@link UserError} that lists the known names.
     */
    public RepoId repoFor(String nameOrRepo) {
        if (nameOrRepo.contains("/")) {
            return RepoId.parse(nameOrRepo);
        }
        Backbone b = byName.get(nameOrRepo);
        if (b == null) {
            throw new UserError("unknown backbone \"" + nameOrRepo + "\"; known names: "
                    + String.join(", ", byName.keySet()) + "; or give a Hub repo as OWNER/NAME");
        }
        return b.repo();
    }
}
