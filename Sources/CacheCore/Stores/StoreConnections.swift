import CacheS3

/// The network side of the stores, closed once when a binary is done: an orderly end for the
/// shared HTTP client's connections and threads.
public enum StoreConnections {
    public static func close() async {
        try? await S3HTTPClient.shutdown()
    }
}
