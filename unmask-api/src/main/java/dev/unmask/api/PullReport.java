package dev.unmask.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.unmask.core.hub.PullResult;
import dev.unmask.core.hub.PulledSnapshot;
import java.util.List;

/**
 * A backbone pulled from the Hub (or found pulled, or taken from the Hugging Face cache): which
 * commit of which repo, where it lies, and every file's size and SHA-256. It is
 * {@code unmask pull --json}.
 *
 * @param origin          hub, huggingface-cache or already-pulled
 * @param bytesDownloaded bytes fetched by this call
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "repo", "revision", "commit", "directory", "origin", "bytes_downloaded", "endpoint", "license", "backbone", "files"})
public record PullReport(int schemaVersion, String repo, String revision, String commit, String directory, String origin, long bytesDownloaded,
        @JsonInclude(JsonInclude.Include.NON_NULL) String endpoint, @JsonInclude(JsonInclude.Include.NON_NULL) License license,
        @JsonInclude(JsonInclude.Include.NON_NULL) Backbone backbone, List<File> files) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record File(String name, long size, String sha256) {}

    /** A detector's weights' licence ({@code unknown} when nothing states it) and where it was read. */
    public record License(String id, String from) {}

    /** A GenD detector's backbone repo; {@code commit} null and {@code source} {@code unmask} when its configs are the copies Unmask ships. */
    public record Backbone(String repo, String revision, String commit, String source) {}

    static PullReport of(PullResult r) {
        PulledSnapshot s = r.snapshot();
        return new PullReport(Unmask.SCHEMA_VERSION, s.repo().toString(), s.revision(), s.commit(), s.directory().toString(),
                r.origin().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), r.bytesDownloaded(), s.endpoint(),
                s.license() == null ? null : new License(s.license().id(), s.license().from()),
                s.backbone() == null ? null : new Backbone(s.backbone().repo().id(), s.backbone().revision(), s.backbone().commit(), s.backbone().source()),
                s.files().stream().map(f -> new File(f.name(), f.size(), f.sha256())).toList());
    }
}
