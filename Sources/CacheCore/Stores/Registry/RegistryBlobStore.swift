import CacheRetry
import CacheS3
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the registry keeps an entry's blob, as its `store` field says, and how to reach it:
/// `local_file` and `agent_managed` both name a place through `BUILDKITE_AGENT_CACHE_STORE_URL`
/// in the agent's environment (`file:///path`, or `s3://bucket/prefix` for agent_managed). Blobs
/// are named by the archive's sha256 hex, as the agent names them.
enum RegistryBlobStore: Sendable {
    case file(AgentFileBlobStore)
    /// The bucket's client, and where downloads land and archives are built.
    case s3(S3Client, temporaryDirectory: String)

    static let urlVariable = "BUILDKITE_AGENT_CACHE_STORE_URL"

    /// The agent's `validateCacheStore`: a store type we cannot reach is a hard error, not a miss.
    static func open(store: String, environment: JobEnvironment, log: BuildkiteLog?) throws -> RegistryBlobStore {
        guard !store.isEmpty else {
            throw StoreError.badURL("the cache registry's answer named no blob store ('store' was missing)")
        }
        guard store == "local_file" || store == "agent_managed" else {
            throw StoreError.badURL("the cache registry keeps its blobs in a '\(store)' store, which swift-cache cannot reach "
                + "(it supports local_file and agent_managed with file:// or s3://)")
        }
        guard let url = environment[urlVariable], !url.isEmpty else {
            throw StoreError.badURL("\(urlVariable) must be set for the \(store) cache store (file:///path"
                + (store == "agent_managed" ? " or s3://bucket/prefix" : "") + "), in the agent's environment")
        }
        if StoreLocation.hasUserInfo(url) {
            throw StoreError.badURL("\(urlVariable) holds credentials before an '@'; give them to the agent's environment instead")
        }
        let scheme = url.firstRange(of: "://").map { String(url[..<$0.lowerBound]) } ?? url
        switch (store, scheme) {
        case (_, "file"):
            return .file(try AgentFileBlobStore(url: url))
        case ("agent_managed", "s3"):
            do {
                let bucket = try S3Store(url: url, environment: environment.variables, home: environment.homeDirectory, log: log)
                return .s3(bucket.client, temporaryDirectory: bucket.temporaryDirectory)
            } catch let error as S3LocationError {
                throw StoreError.badURL("\(urlVariable): \(error.message)")
            } catch let error as S3CredentialsError {
                throw StoreError.missingCredentials("\(urlVariable) names an S3 store, but \(error.message)")
            }
        default:
            throw StoreError.badURL("unsupported cache store URL scheme \"\(scheme)\" for the \(store) cache store")
        }
    }

    var description: String {
        switch self {
        case .file(let store): store.description
        case .s3(let client, _): client.location.description
        }
    }

    /// A local file with the blob's bytes; `StoreError.blobMissing` when there is none.
    func fetch(digest: String, retrier: Retrier) async throws -> LocalBlob {
        switch self {
        case .file(let store):
            return try await store.fetch(digest: digest, retrier: retrier)
        case .s3(let client, let temporaryDirectory):
            let path = temporaryDirectory + "/swift-cache-" + UUID().uuidString + ".zip"
            do {
                _ = try await client.download(client.location.key(digest), to: path, retrier: retrier)
            } catch let error as S3Error where error.isNotFound {
                unlink(path)
                throw StoreError.blobMissing(digest: digest)
            } catch {
                unlink(path)
                throw error
            }
            return LocalBlob(path: path, isTemporary: true)
        }
    }

    func temporaryArchivePath() throws -> String {
        switch self {
        case .file(let store): try store.temporaryArchivePath()
        case .s3(_, let temporaryDirectory): temporaryDirectory + "/swift-cache-" + UUID().uuidString + ".zip"
        }
    }

    /// Stores the archive at `path` under `digest`, taking the file over.
    func put(from path: String, digest: String, retrier: Retrier) async throws {
        switch self {
        case .file(let store):
            try await store.put(from: path, digest: digest, retrier: retrier)
        case .s3(let client, _):
            try await client.upload(file: path, to: client.location.key(digest), sha256: digest, retrier: retrier)
            unlink(path)
        }
    }
}
