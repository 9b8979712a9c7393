package dev.unmask.core.hub;

import dev.unmask.core.UserError;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Where models come from and where they are kept. Each setting is read from a system property
 * first, then the environment: tests (and embedding applications) cannot change a running JVM's
 * environment, but can set properties.
 *
 * @param endpoint the Hub's base URL, without a trailing slash
 * @param home Unmask's cache root; models live under {@code home/models}
 * @param huggingFaceCache the Hugging Face hub cache, reused read-only when it already holds a snapshot
 * @param token bearer token for gated or private repos, or null
 */
public record HubSettings(URI endpoint, Path home, Path huggingFaceCache, String token) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String ENDPOINT_PROPERTY = "unmask.hub.endpoint";
    public static final String HOME_PROPERTY = "unmask.home";
    public static final String HF_CACHE_PROPERTY = "unmask.hf.cache";
    public static final String TOKEN_PROPERTY = "unmask.hf.token";

    /** Settings from system properties and environment variables. */
    public static HubSettings fromEnvironment() {
        return from(System::getProperty, System::getenv);
    }

    static HubSettings from(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String userHome = properties.apply("user.home");
        String endpoint = first(properties.apply(ENDPOINT_PROPERTY), environment.apply("HF_ENDPOINT"))
                .orElse(DEFAULT_ENDPOINT);
        String home = first(properties.apply(HOME_PROPERTY), environment.apply("UNMASK_HOME"))
                .orElse(userHome + "/.cache/unmask");
        // The same precedence huggingface_hub uses, so we look where its downloads actually are.
        String hfHome = first(environment.apply("HF_HOME"))
                .orElseGet(() -> first(environment.apply("XDG_CACHE_HOME")).orElse(userHome + "/.cache") + "/huggingface");
        String hfCache = first(properties.apply(HF_CACHE_PROPERTY), environment.apply("HF_HUB_CACHE"))
                .orElse(hfHome + "/hub");
        // A set but empty property means "no token", so tests and embedders can mask a user's HF_TOKEN.
        String tokenProperty = properties.apply(TOKEN_PROPERTY);
        String token = tokenProperty != null ? first(tokenProperty).orElse(null)
                : first(environment.apply("HF_TOKEN"), environment.apply("HUGGING_FACE_HUB_TOKEN")).orElse(null);
        return new HubSettings(parseEndpoint(endpoint), path(home, "UNMASK_HOME"), path(hfCache, "HF_HUB_CACHE"), token);
    }

    public Path modelsDir() {
        return home.resolve("models");
    }

    public Optional<String> bearerToken() {
        return Optional.ofNullable(token);
    }

    static URI parseEndpoint(String text) {
        String trimmed = text.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        try {
            URI uri = new URI(trimmed);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw new UserError("HF_ENDPOINT is not an http(s) base URL: \"" + text + "\"");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new UserError("HF_ENDPOINT is not a valid URL: \"" + text + "\"");
        }
    }

    private static Path path(String text, String what) {
        try {
            return Path.of(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new UserError(what + " is not a valid path: \"" + text + "\"");
        }
    }

    private static Optional<String> first(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return Optional.of(c.strip());
            }
        }
        return Optional.empty();
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", home=" + home + ", huggingFaceCache=" + huggingFaceCache
                + ", token=" + (token == null ? "none" : "set") + "]";
    }
}
