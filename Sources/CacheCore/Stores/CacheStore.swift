import CacheArchive
import CacheRetry
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

/// What restore and save need from a place that keeps caches.
///
/// The retry rule, the only place retries are decided: **the flows retry every store call whole
/// (through `JobContext.call`), except the four that split into many requests, which take the
/// flow's retrier and retry each request on their own.**
///
/// - `entry`, `commit` and `expire` are whole calls (one or two small requests), so each must be
///   safe to repeat: it either did nothing visible or finished.
/// - `newestEntry`, `readBlob`, `fetchBlob` and `putBlob` move many requests (the pages of a listing and the
///   reads of its candidates, the ranges of a download, the parts of a multipart upload): a failed
///   candidate read never lists again, a failed last part never resends the first. A store whose
///   version of them is one request (the file store's) wraps that one request.
///
/// Nothing else retries: not the S3 client (its transfers get the retrier from the store), not
/// the restore or save around a call, so a fault is never retried twice over.
public protocol CacheStore: Sendable {
    /// For log lines; never contains a secret.
    var displayName: String { get }

    /// The entry saved under exactly this key, or nil.
    func entry(key: String, scope: StoreScope) async throws -> CacheEntry?

    /// The newest entry whose key starts with `prefix`, or nil.
    func newestEntry(prefix: String, scope: StoreScope, retrier: Retrier) async throws -> CacheEntry?

    /// A local, readable file with the blob's bytes. The caller verifies the digest while reading.
    /// Throws `StoreError.blobMissing` when the entry's blob is gone.
    func fetchBlob(for entry: CacheEntry, retrier: Retrier) async throws -> LocalBlob

    /// Hands `body` the blob's bytes to read once, in order, and returns what `body` returns. A
    /// restore extracts while it reads, so a store that can deliver the bytes as they arrive (S3's
    /// streamed GET) does, and the download overlaps the extraction. By default: `fetchBlob`, then
    /// its file. The caller verifies the digest while reading.
    ///
    /// Throws `StoreError.blobMissing` when the entry's blob is gone, `StoreError.blobUnreadable`
    /// when the store could not deliver its bytes (before `body` ran, or while it read them), and
    /// otherwise what `body` throws.
    func readBlob<T: Sendable>(for entry: CacheEntry, retrier: Retrier,
                               _ body: @Sendable (any ArchiveInput) async throws -> T) async throws -> T

    /// A path, which does not exist yet, where a save may build its archive: on the store's own
    /// file system when that lets `putBlob` rename instead of copy.
    func temporaryArchivePath() throws -> String

    /// Stores the file as the blob named `digest`, taking the file over (it is gone afterwards).
    func putBlob(from path: String, digest: String, retrier: Retrier) async throws

    /// Makes the entry visible, unless an entry for its key is there already (another job saved
    /// the same key at the same time): that one is kept whole. Only called after its blob is stored.
    func commit(_ entry: CacheEntry, scope: StoreScope) async throws -> CommitOutcome

    /// Removes this entry (its blob may stay for other entries) so a bad cache is saved again; does
    /// nothing when the key now names another blob.
    func expire(_ entry: CacheEntry, scope: StoreScope) async throws
}

extension CacheStore {
    /// The newest entry whose key starts with `prefix`, each call tried once: for tools and tests.
    public func newestEntry(prefix: String, scope: StoreScope) async throws -> CacheEntry? {
        try await newestEntry(prefix: prefix, scope: scope,
                              retrier: Retrier(policy: RetryPolicy(attempts: 1, strategy: .constant(.zero), jitter: .zero)) { _ in })
    }
}

extension CacheStore {
    /// The blob from `fetchBlob`, read from its file (deleted afterwards when it is a copy).
    public func readBlob<T: Sendable>(for entry: CacheEntry, retrier: Retrier,
                                      _ body: @Sendable (any ArchiveInput) async throws -> T) async throws -> T {
        let blob: LocalBlob
        do {
            blob = try await fetchBlob(for: entry, retrier: retrier)
        } catch StoreError.blobMissing(let digest) {
            throw StoreError.blobMissing(digest: digest)
        } catch {
            throw StoreError.blobUnreadable(error)
        }
        defer { if blob.isTemporary { unlink(blob.path) } }
        return try await body(FileArchiveInput(path: blob.path))
    }
}

/// What a commit did.
public enum CommitOutcome: Sendable, Equatable {
    case committed
    /// An entry for the key existed already; it was left as it was.
    case alreadySaved
}

/// A blob on local disk, to be read once.
public struct LocalBlob: Sendable {
    public let path: String
    /// True when the store made a copy that the reader must delete after use.
    public let isTemporary: Bool

    public init(path: String, isTemporary: Bool) {
        self.path = path
        self.isTemporary = isTemporary
    }
}

public enum StoreError: Error, Sendable, CustomStringConvertible {
    case blobMissing(digest: String)
    /// The store could not deliver the blob's bytes (a download that gave up): why.
    case blobUnreadable(any Error)
    case badEntry(String)
    case badURL(String)
    /// An S3 store without usable credentials: a setting of the agent, not of the pipeline.
    case missingCredentials(String)

    public var description: String {
        switch self {
        case .blobMissing(let digest): "the blob \(digest.prefix(12))… named by the entry is missing"
        case .blobUnreadable(let error): "\(error)"
        case .badEntry(let message): "unreadable cache entry: \(message)"
        case .badURL(let message), .missingCredentials(let message): message
        }
    }
}
