package dev.unmask.core.hub;

import dev.unmask.core.UserError;
import dev.unmask.core.io.Hashing;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * The two Hub requests {@code pull} needs, {@code HEAD} and {@code GET} on
 * {@code {endpoint}/{owner}/{name}/resolve/{revision}/{file}}, with the Hub's conventions: LFS files
 * answer with a redirect to a CDN whose first hop carries {@code X-Repo-Commit},
 * {@code X-Linked-Etag} (the SHA-256) and {@code X-Linked-Size}; small files answer 200 with a git
 * blob id as {@code ETag}. Errors carry {@code X-Error-Code}.
 *
 * <p>Built on {@link HttpURLConnection} for its read timeout: a stalled CDN must end in an error
 * the user can act on (run again to resume), not a hang.
 */
final class HubClient {
    private static final int CONNECT_TIMEOUT_MS = 15_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    private static final int MAX_REDIRECTS = 5;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /**
     * What the Hub says about one file at one revision.
     *
     * @param sha256 published SHA-256 (LFS files only), else null
     * @param gitOid git blob id from the ETag of a non-LFS file, else null
     * @param size published size, or -1 when not given
     */
    record FileMetadata(String file, String commit, boolean lfs, String sha256, String gitOid, long size) {}

    /** An open download; {@code offset} is where {@code body} starts, {@code total} the file size or -1. */
    record Body(InputStream body, long offset, long total, URI url) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    /** The Hub refused access (a gated or private repo: 401, 403 or GatedRepo); the message says what to do. */
    static final class AccessDenied extends UserError {
        private static final long serialVersionUID = 1L;
        private final int status;

        AccessDenied(String message, int status) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    /** The server refused the byte range (416): the partial file is not a prefix it knows. */
    static final class RangeNotSatisfiable extends Exception {
        private static final long serialVersionUID = 1L;
    }

    private final HubSettings settings;
    private final String userAgent;

    HubClient(HubSettings settings) {
        this.settings = settings;
        String version = HubClient.class.getPackage().getImplementationVersion();
        this.userAgent = "unmask/" + (version == null ? "dev" : version) + "; java/" + Runtime.version().feature();
    }

    URI resolveUrl(RepoId repo, String revision, String file) {
        // The Hub wants '/' inside a revision (refs/pr/3) percent-encoded, so it stays one segment.
        String url = settings.endpoint() + "/" + repo.owner() + "/" + repo.name() + "/resolve/"
                + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "/" + URLEncoder.encode(file, StandardCharsets.UTF_8);
        return URI.create(url);
    }

    /**
     * HEAD of a file; empty when the repo and revision exist but the file does not. Redirects
     * within the Hub (a renamed repo) are followed; the redirect to the CDN is not, because the
     * metadata is on that first hop.
     */
    Optional<FileMetadata> head(RepoId repo, String revision, String file) {
        URI url = resolveUrl(repo, revision, file);
        URI current = url;
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = open(current, "HEAD");
            int status = status(c, current, file);
            try {
                if (isRedirect(status)) {
                    URI next = location(c, current);
                    if (sameOrigin(next, current) && c.getHeaderField("X-Linked-Etag") == null) {
                        if (hop >= MAX_REDIRECTS) {
                            throw new UserError("too many redirects from " + url);
                        }
                        current = next;
                        continue;
                    }
                    return Optional.of(metadata(c, file, current));
                }
                if (status == 200) {
                    return Optional.of(metadata(c, file, current));
                }
                String code = c.getHeaderField("X-Error-Code");
                if (status == 404 && (code == null || code.equals("EntryNotFound"))) {
                    return Optional.empty();
                }
                throw failure(c, status, repo, revision, file, current);
            } finally {
                c.disconnect();
            }
        }
    }

    /**
     * GET of a file from {@code offset} on (a Range request when offset &gt; 0), following the
     * redirect to the CDN. The caller must check {@link Body#offset()}: a server that ignores
     * Range sends the whole file from 0.
     */
    Body get(RepoId repo, String commit, String file, long offset) throws RangeNotSatisfiable {
        URI current = resolveUrl(repo, commit, file);
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = open(current, "GET");
            if (offset > 0) {
                c.setRequestProperty("Range", "bytes=" + offset + "-");
            }
            int status = status(c, current, file);
            if (isRedirect(status)) {
                URI next = location(c, current);
                c.disconnect();
                if (hop >= MAX_REDIRECTS) {
                    throw new UserError("too many redirects downloading " + file + " of " + repo);
                }
                current = next;
                continue;
            }
            if (status == 416) {
                c.disconnect();
                throw new RangeNotSatisfiable();
            }
            if (status != 200 && status != 206) {
                UserError e = failure(c, status, repo, commit, file, current);
                c.disconnect();
                throw e;
            }
            long start = 0;
            long total = c.getContentLengthLong();
            if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(Objects.requireNonNullElse(c.getHeaderField("Content-Range"), ""));
                if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
                    c.disconnect();
                    throw new UserError("the server at " + current.getHost() + " answered the range request for "
                            + file + " with a different range (" + c.getHeaderField("Content-Range") + ")");
                }
                start = offset;
                total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
            }
            try {
                return new Body(c.getInputStream(), start, total, current);
            } catch (IOException e) {
                c.disconnect();
                throw unreachable(current, file, e);
            }
        }
    }

    private HttpURLConnection open(URI url, String method) {
        try {
            HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
            c.setRequestMethod(method);
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(READ_TIMEOUT_MS);
            c.setUseCaches(false);
            c.setRequestProperty("User-Agent", userAgent);
            c.setRequestProperty("Accept-Encoding", "identity");
            // The token is for the Hub only; CDN URLs are pre-signed and may be another company's host.
            if (settings.token() != null && sameOrigin(url, settings.endpoint())) {
                c.setRequestProperty("Authorization", "Bearer " + settings.token());
            }
            return c;
        } catch (IOException | IllegalArgumentException e) {
            throw new UserError("cannot open " + url + ": " + StrictJson.oneLine(e.getMessage()));
        }
    }

    private int status(HttpURLConnection c, URI url, String file) {
        try {
            return c.getResponseCode();
        } catch (IOException e) {
            c.disconnect();
            throw unreachable(url, file, e);
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static URI location(HttpURLConnection c, URI from) {
        String location = c.getHeaderField("Location");
        if (location == null) {
            throw new UserError("redirect without a Location from " + from);
        }
        URI next;
        try {
            next = from.resolve(new URI(location));
        } catch (URISyntaxException e) {
            throw new UserError("bad redirect Location from " + from + ": " + StrictJson.oneLine(location));
        }
        String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new UserError("refusing a redirect to a non-HTTP URL from " + from);
        }
        if (scheme.equals("http") && "https".equalsIgnoreCase(from.getScheme())) {
            throw new UserError("refusing a redirect from HTTPS to plain HTTP (" + from.getHost() + " -> " + next.getHost() + ")");
        }
        return next;
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private FileMetadata metadata(HttpURLConnection c, String file, URI url) {
        String commit = c.getHeaderField("X-Repo-Commit");
        if (commit != null && !Revisions.isCommit(commit.strip())) {
            throw new UserError("the Hub at " + settings.endpoint() + " sent an invalid X-Repo-Commit for " + file);
        }
        String linkedEtag = unquote(c.getHeaderField("X-Linked-Etag"));
        boolean lfs = linkedEtag != null;
        String sha256 = null;
        String gitOid = null;
        long size;
        if (lfs) {
            sha256 = linkedEtag.toLowerCase(Locale.ROOT);
            if (!Hashing.isSha256(sha256)) {
                throw new UserError("the Hub published no SHA-256 for " + file + " (X-Linked-Etag \""
                        + StrictJson.oneLine(linkedEtag) + "\"), so it cannot be verified; refusing it");
            }
            size = parseSize(c.getHeaderField("X-Linked-Size"), file);
        } else {
            String etag = unquote(c.getHeaderField("ETag"));
            gitOid = Hashing.isGitOid(etag) ? etag : null;
            size = parseSize(c.getHeaderField("Content-Length"), file);
        }
        return new FileMetadata(file, commit == null ? null : commit.strip(), lfs, sha256, gitOid, size);
    }

    private long parseSize(String header, String file) {
        if (header == null) {
            return -1;
        }
        try {
            long size = Long.parseLong(header.strip());
            if (size < 0) {
                throw new NumberFormatException();
            }
            return size;
        } catch (NumberFormatException e) {
            throw new UserError("the Hub at " + settings.endpoint() + " sent an invalid size for " + file
                    + ": \"" + StrictJson.oneLine(header) + "\"");
        }
    }

    /** ETags arrive quoted, sometimes weak ({@code W/"..."}). */
    static String unquote(String etag) {
        if (etag == null) {
            return null;
        }
        String s = etag.strip();
        if (s.startsWith("W/")) {
            s = s.substring(2);
        }
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        return s;
    }

    private UserError failure(HttpURLConnection c, int status, RepoId repo, String revision, String file, URI url) {
        String code = c.getHeaderField("X-Error-Code");
        String where = repo + "@" + revision + " " + file;
        if (!sameOrigin(url, settings.endpoint())) {
            return new UserError("the download server " + url.getHost() + " answered HTTP " + status + " for " + where
                    + "; run the command again (a download link may have expired)");
        }
        if ("RepoNotFound".equals(code)) {
            return new UserError("no such repo on the Hub: " + repo + " (if it is private, set HF_TOKEN to a token that can read it)");
        }
        if ("RevisionNotFound".equals(code)) {
            return new UserError("no such revision of " + repo + ": " + revision);
        }
        if ("DisabledRepo".equals(code)) {
            return new UserError(repo + " has been disabled on the Hub");
        }
        if ("GatedRepo".equals(code) || status == 401 || status == 403) {
            if (settings.token() == null) {
                return new AccessDenied(repo + " is gated or private (HTTP " + status + "): accept its terms on its Hub page, "
                        + "then set HF_TOKEN to an access token with read permission", status);
            }
            return new AccessDenied("the Hub refused HF_TOKEN for " + repo + " (HTTP " + status + "): accept the repo's terms "
                    + "on its Hub page with the account the token belongs to, and check that the token can read it", status);
        }
        if (status == 404) {
            return new UserError("no such repo or file on the Hub: " + where + " (HTTP 404 from " + url + ")");
        }
        if (status == 429) {
            return new UserError("the Hub is rate-limiting requests (HTTP 429); wait a minute and run the command again");
        }
        if (status >= 500) {
            return new UserError("the Hub at " + settings.endpoint() + " failed with HTTP " + status + " for " + where
                    + "; try again later");
        }
        return new UserError("unexpected HTTP " + status + " from " + url + " for " + where);
    }

    /** Network failures before any answer: the usual cause is being offline, so say so. */
    UserError unreachable(URI url, String file, IOException e) {
        String reason;
        if (e instanceof UnknownHostException) {
            reason = "unknown host " + url.getHost();
        } else if (e instanceof SocketTimeoutException) {
            reason = "timed out";
        } else if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
            reason = e.getMessage() == null ? "connection refused" : e.getMessage();
        } else if (e instanceof SSLException) {
            reason = "TLS failure (" + StrictJson.oneLine(e.getMessage()) + ")";
        } else {
            reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + StrictJson.oneLine(e.getMessage()));
        }
        if (sameOrigin(url, settings.endpoint())) {
            return new UserError("cannot reach the Hub at " + settings.endpoint() + ": " + reason
                    + "; check the network or set HF_ENDPOINT", e);
        }
        return new UserError("cannot reach " + url.getHost() + " to download " + file + ": " + reason
                + "; check the network and run the command again", e);
    }
}
