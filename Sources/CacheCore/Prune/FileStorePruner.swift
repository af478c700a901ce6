#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps a file store bounded. Safe while jobs run: a restore that already opened a blob keeps
/// reading it after it is unlinked, and a blob that no entry names yet is only removed once it is
/// older than `grace` (a save stores its blob a moment before it commits the entry).
///
/// A blob is deleted only when no entry document names it. Entries this version cannot decode
/// (another version of the plugin) are never removed, and the blob they name is read loosely and
/// kept. When a document does not even yield a digest, any unnamed blob might be its blob, so no
/// unnamed blob is deleted in that run; the summary says so and names the document.
public struct FileStorePruner: Sendable {
    public struct Summary: Sendable, Equatable {
        public var entriesRemoved = 0
        public var blobsRemoved = 0
        public var bytesFreed: Int64 = 0
        public var bytesKept: Int64 = 0
        public var temporaryFilesRemoved = 0
        /// Entry documents this version cannot decode; kept, and so are the blobs they name.
        public var foreignEntriesKept = 0
        /// Entry documents without a readable digest: while any exists, no unnamed blob is deleted.
        public var entriesWithoutDigest: [String] = []

        /// What `cache-save prune` prints: one line, then one warning per document without a digest.
        public func lines(store: String) -> [String] {
            var first = "pruned \(store): \(Self.count(entriesRemoved, "entry", "entries")) and "
                + "\(Self.count(blobsRemoved, "blob", "blobs")) removed, \(Formatting.bytes(bytesFreed)) freed, "
                + "\(Formatting.bytes(bytesKept)) kept, \(Self.count(temporaryFilesRemoved, "temporary file", "temporary files")) removed"
            if foreignEntriesKept > 0 {
                first += "; kept \(Self.count(foreignEntriesKept, "entry", "entries")) this version cannot read, and their blobs"
            }
            return [first] + entriesWithoutDigest.map {
                "warning: \($0) names no blob this version can read, so no unnamed blob was deleted; remove that file if it is not an entry"
            }
        }

        static func count(_ number: Int, _ one: String, _ many: String) -> String {
            "\(number) \(number == 1 ? one : many)"
        }
    }

    let store: FileStore
    let now: Date
    let grace: TimeInterval

    public init(store: FileStore, now: Date = Date(), grace: TimeInterval = 3_600) {
        self.store = store
        self.now = now
        self.grace = grace
    }

    public func prune(_ limits: PruneLimits) throws -> Summary {
        var summary = Summary()
        try checkStoreExists()
        var (entries, foreign) = try listEntries()
        summary.foreignEntriesKept = foreign.count
        summary.entriesWithoutDigest = foreign.compactMap { $0.digest == nil ? $0.path : nil }
        let foreignDigests = Set(foreign.compactMap(\.digest))
        if let maxAge = limits.maxAge {
            let cutoff = now.addingTimeInterval(-Double(maxAge.components.seconds))
            for entry in entries where entry.entry.created < cutoff {
                if unlink(entry.path) == 0 { summary.entriesRemoved += 1 }
            }
            entries.removeAll { $0.entry.created < cutoff }
        }

        let blobs = try listBlobs()
        let sizes = Dictionary(blobs.map { ($0.digest, $0.size) }, uniquingKeysWith: { first, _ in first })
        func referencedSize(_ entries: [(path: String, entry: CacheEntry)]) -> Int64 {
            Set(entries.map(\.entry.digest)).union(foreignDigests).reduce(0) { $0 + (sizes[$1] ?? 0) }
        }
        if let maxSize = limits.maxSize {
            entries.sort { $0.entry.created < $1.entry.created }
            while !entries.isEmpty && referencedSize(entries) > maxSize {
                let oldest = entries.removeFirst()
                if unlink(oldest.path) == 0 { summary.entriesRemoved += 1 }
            }
        }

        let referenced = Set(entries.map(\.entry.digest)).union(foreignDigests)
        let graceCutoff = now.addingTimeInterval(-grace)
        let mayDeleteUnnamed = summary.entriesWithoutDigest.isEmpty
        for blob in blobs where mayDeleteUnnamed && !referenced.contains(blob.digest) && blob.modified < graceCutoff {
            if unlink(blob.path) == 0 {
                summary.blobsRemoved += 1
                summary.bytesFreed += blob.size
            }
        }
        summary.bytesKept = referencedSize(entries)

        let dayAgo = now.addingTimeInterval(-86_400)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: store.temporaryDirectory)) ?? [] {
            let path = store.temporaryDirectory + "/" + file
            if let modified = modificationDate(path), modified < dayAgo, unlink(path) == 0 {
                summary.temporaryFilesRemoved += 1
            }
        }
        return summary
    }

    /// A store root that does not exist is a mistake in the command (a typo, an unmounted share),
    /// not an empty store: saying "0 entries removed" would hide it.
    private func checkStoreExists() throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: store.root),
              attributes[.type] as? FileAttributeType == .typeDirectory else {
            throw PruneError(message: "the store \(store.displayName) does not exist or is not a directory; "
                             + "check --store (or BUILDKITE_CACHE_STORE_URL) and that its disk is mounted")
        }
    }

    /// Entries this version reads, and the others with whatever digest they name.
    private func listEntries() throws -> (ours: [(path: String, entry: CacheEntry)], foreign: [(path: String, digest: String?)]) {
        let root = store.base + "/entries"
        guard let walker = try? FileManager.default.subpathsOfDirectory(atPath: root) else { return ([], []) }
        var ours: [(path: String, entry: CacheEntry)] = []
        var foreign: [(path: String, digest: String?)] = []
        for relative in walker where relative.hasSuffix(".json") {
            let path = root + "/" + relative
            guard let data = FileManager.default.contents(atPath: path) else {
                foreign.append((path, nil))
                continue
            }
            if let entry = CacheEntry.readable(from: data) {
                ours.append((path, entry))
            } else if case .named(let digest) = EntryDigest.of(data) {
                foreign.append((path, digest))
            } else {
                foreign.append((path, nil))
            }
        }
        return (ours, foreign)
    }

    private func listBlobs() throws -> [(path: String, digest: String, size: Int64, modified: Date)] {
        let root = store.base + "/blobs/sha256"
        guard let walker = try? FileManager.default.subpathsOfDirectory(atPath: root) else { return [] }
        var result: [(path: String, digest: String, size: Int64, modified: Date)] = []
        for relative in walker {
            let digest = relative.lastPathName
            guard CacheEntry.isValidDigest(digest) else { continue }
            let path = root + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = Self.byteCount(attributes[.size]), let modified = attributes[.modificationDate] as? Date else { continue }
            result.append((path, digest, size, modified))
        }
        return result
    }

    /// A file size from `attributesOfItem`: an `NSNumber` in full Foundation, a `UInt` in
    /// FoundationEssentials.
    private static func byteCount(_ value: Any?) -> Int64? {
        #if canImport(FoundationEssentials)
        return (value as? UInt).flatMap { Int64(exactly: $0) }
        #else
        return (value as? NSNumber)?.int64Value
        #endif
    }

    private func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

public struct PruneError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
