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
        if RegistryStore.names(text) {
            throw StoreError.badURL("\(source): '\(text)' is the agent's cache registry, which keeps and expires its own entries: "
                + "only the restore and save of a job talk to it, there is nothing here to prune")
        }
        if text.hasPrefix("s3://") {
            do {
                return try S3Store(url: text, environment: environment.variables, home: home, log: log)
            } catch let error as S3LocationError {
                throw StoreError.badURL("\(source): \(error.message)")
            } catch let error as S3CredentialsError {
                throw StoreError.missingCredentials("\(source) names an S3 store, but \(error.message)")
            }
        }
        throw StoreError.badURL("\(source): unsupported store '\(text)': use file:///path, s3://bucket/prefix or buildkite://REGISTRY")
    }
}

/// The store a job uses: a store of entries and blobs of our own (file, S3), or the agent's cache
/// registry, whose matching happens on the server and which therefore has its own flows.
public enum OpenedStore: Sendable {
    case keyed(any CacheStore)
    case registry(RegistryStore)

    public var displayName: String {
        switch self {
        case .keyed(let store): store.displayName
        case .registry(let registry): registry.displayName
        }
    }
}

extension StoreLocation {
    /// Like `resolve`, and `buildkite` / `buildkite://REGISTRY` open the agent's cache registry.
    public static func resolveForJob(option: String?, environment: JobEnvironment, log: BuildkiteLog? = nil) throws -> OpenedStore {
        if let option, RegistryStore.names(option) {
            return .registry(try RegistryStore.open(option, source: "the 'store' option", environment: environment, log: log))
        }
        if option == nil, let fleet = environment["BUILDKITE_CACHE_STORE_URL"], RegistryStore.names(fleet) {
            return .registry(try RegistryStore.open(fleet, source: "BUILDKITE_CACHE_STORE_URL", environment: environment, log: log))
        }
        return .keyed(try resolve(option: option, environment: environment, log: log))
    }

    /// True when the authority of `scheme://authority/…` has a `user[:password]@` part.
    static func hasUserInfo(_ text: String) -> Bool {
        guard let schemeEnd = text.firstRange(of: "://") else { return false }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains("@")
    }
}
