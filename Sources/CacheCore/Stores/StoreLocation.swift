import CacheS3
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat

/// Which store a job uses: the `store` option, else `BUILDKITE_CACHE_STORE_URL` from the agent's
/// environment (one setting for a whole fleet), else a directory in the agent user's cache folder.
public enum StoreLocation {
    /// - Parameter log: for what a store says as it connects (where the S3 credentials came from,
    ///   a bucket in another region than its URL says).
    public static func resolve(option: String?, environment: JobEnvironment, log: BuildkiteLog? = nil) throws -> any CacheStore {
        if let option { return try open(option, source: "the 'store' option", environment: environment, log: log) }
        if let fleet = environment["BUILDKITE_CACHE_STORE_URL"] {
            return try open(fleet, source: "BUILDKITE_CACHE_STORE_URL", environment: environment, log: log)
        }
        let cacheHome = environment["XDG_CACHE_HOME"] ?? environment.homeDirectory + "/.cache"
        return FileStore(root: cacheHome + "/swift-cache/store")
    }

    static func open(_ text: String, source: String, environment: JobEnvironment, log: BuildkiteLog? = nil) throws -> any CacheStore {
        let home = environment.homeDirectory
        if hasUserInfo(text) {
            // Not echoed: the part before '@' is most likely a key and a secret.
            throw StoreError.badURL("\(source) holds credentials before an '@' (scheme://USER:SECRET@…); "
                + "store URLs must not carry them. Remove them from the URL and give them to the agent's environment "
                + "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role)")
        }
        if text.hasPrefix("file://") {
            var path = String(text.dropFirst("file://".count))
            if path == "~" || path.hasPrefix("~/") {
                path = home + path.dropFirst(1)
            }
            guard path.hasPrefix("/") else {
                throw StoreError.badURL("\(source): '\(text)' must be file:///absolute/path or file://~/path")
            }
            return FileStore(root: path.percentDecoded ?? path)
        }
        if text.hasPrefix("/") { return FileStore(root: text) }
        if text.hasPrefix("s3://") {
            do {
                return try S3Store(url: text, environment: environment.variables, home: home, log: log)
            } catch let error as S3LocationError {
                throw StoreError.badURL("\(source): \(error.message)")
            } catch let error as S3CredentialsError {
                throw StoreError.missingCredentials("\(source) names an S3 store, but \(error.message)")
            }
        }
        throw StoreError.badURL("\(source): unsupported store '\(text)': use file:///path or s3://bucket/prefix")
    }
}

extension StoreLocation {
    /// True when the authority of `scheme://authority/…` has a `user[:password]@` part.
    static func hasUserInfo(_ text: String) -> Bool {
        guard let schemeEnd = text.firstRange(of: "://") else { return false }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains("@")
    }
}

/// The network side of the stores, closed once when a binary is done: an orderly end for the
/// shared HTTP client's connections and threads.
public enum StoreConnections {
    public static func close() async {
        try? await S3HTTPClient.shutdown()
    }
}
