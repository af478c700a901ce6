import CSystemCalls
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

/// The embedded default store: a directory on the agent host or a shared mount, no server.
///
/// Layout (documented in the README so people can look inside):
///
///     ROOT/v1/blobs/sha256/ab/abcdef…            the archives, named by their sha256
///     ROOT/v1/entries/ORG/PIPELINE/BRANCH/KEY.json  one small document per saved key
///     ROOT/v1/tmp/                               work in progress; anything here is garbage
///
/// Every write is temp file + fsync + rename within ROOT, so concurrent jobs need no locks.
public struct FileStore: CacheStore {
    public let root: String

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    public var displayName: String { "file://\(root)" }

    var base: String { root + "/v1" }
    var temporaryDirectory: String { base + "/tmp" }

    func blobPath(_ digest: String) -> String {
        "\(base)/blobs/sha256/\(digest.prefix(2))/\(digest)"
    }

    func entriesDirectory(_ scope: StoreScope) -> String {
        [base, "entries", StoreNameEncoding.encode(scope.organization), StoreNameEncoding.encode(scope.pipeline),
         StoreNameEncoding.encode(scope.branch)].joined(separator: "/")
    }

    func entryPath(key: String, scope: StoreScope) -> String {
        entriesDirectory(scope) + "/" + StoreNameEncoding.encode(key) + ".json"
    }

    public func entry(key: String, scope: StoreScope) async throws -> CacheEntry? {
        let path = entryPath(key: key, scope: scope)
        guard let entry = try readEntry(at: path), entry.key == key else { return nil }
        return entry
    }

    /// One directory read and the reads of its entries: one call, retried as one.
    public func newestEntry(prefix: String, scope: StoreScope, retrier: Retrier) async throws -> CacheEntry? {
        try await retrier.run("look up prefix '\(prefix)' in \(scope)") { try newestLocalEntry(prefix: prefix, scope: scope) }
    }

    private func newestLocalEntry(prefix: String, scope: StoreScope) throws -> CacheEntry? {
        let directory = entriesDirectory(scope)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            if try Self.isAbsent(directory) { return nil }
            throw FileSystemError.current(path: directory)
        }
        var newest: CacheEntry?
        for name in names where name.hasSuffix(".json") {
            let stem = String(name.dropLast(5))
            if let key = StoreNameEncoding.decode(stem), !key.hasPrefix(prefix) { continue }
            guard let entry = try? readEntry(at: directory + "/" + name), entry.key.hasPrefix(prefix) else { continue }
            if newest.map({ entry.created > $0.created }) ?? true { newest = entry }
        }
        return newest
    }

    /// nil when there is no entry; a document that cannot be decoded is treated as absent (it may be
    /// from a newer version of the plugin) rather than failing every restore of the pipeline.
    func readEntry(at path: String) throws -> CacheEntry? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if try Self.isAbsent(path) { return nil }
            throw FileSystemError.current(path: path, fallback: EACCES)
        }
        return CacheEntry.readable(from: data)
    }

    /// True only when `path` plainly does not exist (ENOENT: a fresh store, a key never saved).
    /// Anything else is a broken store, not a miss: a store path that is a regular file (ENOTDIR),
    /// a directory the agent may not read (EACCES). Those throw, so `fail-on-error` sees them.
    static func isAbsent(_ path: String) throws -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return false }
        if errno == ENOENT { return true }
        throw FileSystemError.current(path: path)
    }

    public func fetchBlob(for entry: CacheEntry, retrier: Retrier) async throws -> LocalBlob {
        let path = blobPath(entry.digest)
        return try await retrier.run("open blob \(entry.digest.prefix(12))…") {
            var info = stat()
            guard stat(path, &info) == 0 else {
                if errno == ENOENT { throw StoreError.blobMissing(digest: entry.digest) }
                throw FileSystemError.current(path: path)
            }
            return LocalBlob(path: path, isTemporary: false)
        }
    }

    public func temporaryArchivePath() throws -> String {
        try DurableFile.makeDirectories(temporaryDirectory)
        return temporaryDirectory + "/" + UUID().uuidString + ".tar.zst"
    }

    public func putBlob(from path: String, digest: String, retrier: Retrier) async throws {
        precondition(CacheEntry.isValidDigest(digest), "blob digests are validated before they reach a store")
        let destination = blobPath(digest)
        let temporaryDirectory = temporaryDirectory
        // A copy and an fsync as slow as the blob is big: off the cooperative pool.
        try await retrier.run("store blob \(digest.prefix(12))…") {
            try await runBlocking { _ in
                if path.hasPrefix(temporaryDirectory + "/") {
                    try DurableFile.commit(existing: path, to: destination)
                    return
                }
                try DurableFile.makeDirectories(temporaryDirectory)
                let temp = temporaryDirectory + "/" + UUID().uuidString + ".blob"
                do {
                    try FileManager.default.copyItem(atPath: path, toPath: temp)
                    try DurableFile.commit(existing: temp, to: destination)
                    try? FileManager.default.removeItem(atPath: path)
                } catch {
                    try? FileManager.default.removeItem(atPath: temp)
                    throw error
                }
            }
        }
    }

    /// Never replaces an entry: of two jobs committing one key at once, the first keeps it whole
    /// and the second learns that it lost.
    public func commit(_ entry: CacheEntry, scope: StoreScope) async throws -> CommitOutcome {
        try DurableFile.makeDirectories(temporaryDirectory)
        let stored = try DurableFile.storeIfAbsent(try entry.encoded(), at: entryPath(key: entry.key, scope: scope),
                                                   temporaryDirectory: temporaryDirectory)
        return stored ? .committed : .alreadySaved
    }

    public func expire(_ entry: CacheEntry, scope: StoreScope) async throws {
        let path = entryPath(key: entry.key, scope: scope)
        // A save may have replaced the bad entry since we read it; that one is not ours to remove.
        guard let current = try readEntry(at: path), current.digest == entry.digest else { return }
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError.current(path: path) }
    }
}
