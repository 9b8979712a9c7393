package dev.unmask.core.hub;

/**
 * @param origin where the files came from this time
 * @param bytesDownloaded bytes fetched over the network by this pull
 */
public record PullResult(PulledSnapshot snapshot, Origin origin, long bytesDownloaded) {
    public enum Origin {
        /** Unmask's cache already held the snapshot; nothing was fetched. */
        ALREADY_PULLED,
        /** Taken from the Hugging Face cache; nothing was fetched. */
        HUGGING_FACE_CACHE,
        /** Downloaded from the Hub (some files possibly resumed or already present). */
        HUB
    }
}
