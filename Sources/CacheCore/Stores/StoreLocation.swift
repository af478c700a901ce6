import Foundation

/// Which store a job uses: the `store` option, else `BUILDKITE_CACHE_STORE_URL` from the agent's
/// environment (one setting for a whole fleet), else a directory in the agent user's cache folder.
public enum StoreLocation {
    public static func resolve(option: String?, environment: JobEnvironment) throws -> any CacheStore {
        if let option { return try open(option, source: "the 'store' option", home: environment.homeDirectory) }
        if let fleet = environment["BUILDKITE_CACHE_STORE_URL"] {
            return try open(fleet, source: "BUILDKITE_CACHE_STORE_URL", home: environment.homeDirectory)
        }
        let cacheHome = environment["XDG_CACHE_HOME"] ?? environment.homeDirectory + "/.cache"
        return FileStore(root: cacheHome + "/swift-cache/store")
    }

    static func open(_ text: String, source: String, home: String) throws -> any CacheStore {
        if text.hasPrefix("file://") {
            var path = String(text.dropFirst("file://".count))
            if path == "~" || path.hasPrefix("~/") {
                path = home + path.dropFirst(1)
            }
            guard path.hasPrefix("/") else {
                throw StoreError.badURL("\(source): '\(text)' must be file:///absolute/path or file://~/path")
            }
            return FileStore(root: path.removingPercentEncoding ?? path)
        }
        if text.hasPrefix("/") { return FileStore(root: text) }
        if text.hasPrefix("s3://") {
            throw StoreError.badURL("\(source): S3 stores are not available in this version yet; use a file:// store")
        }
        throw StoreError.badURL("\(source): unsupported store '\(text)': use file:///path (s3:// is planned)")
    }
}
