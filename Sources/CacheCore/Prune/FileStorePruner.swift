import Foundation

/// Keeps a file store bounded. Safe while jobs run: a restore that already opened a blob keeps
/// reading it after it is unlinked, and a blob that no entry names yet is only removed once it is
/// older than `grace` (a save stores its blob a moment before it commits the entry).
public struct FileStorePruner: Sendable {
    public struct Summary: Sendable, Equatable {
        public var entriesRemoved = 0
        public var blobsRemoved = 0
        public var bytesFreed: Int64 = 0
        public var bytesKept: Int64 = 0
        public var temporaryFilesRemoved = 0
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
        var entries = try listEntries()
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
            Set(entries.map(\.entry.digest)).reduce(0) { $0 + (sizes[$1] ?? 0) }
        }
        if let maxSize = limits.maxSize {
            entries.sort { $0.entry.created < $1.entry.created }
            while !entries.isEmpty && referencedSize(entries) > maxSize {
                let oldest = entries.removeFirst()
                if unlink(oldest.path) == 0 { summary.entriesRemoved += 1 }
            }
        }

        let referenced = Set(entries.map(\.entry.digest))
        let graceCutoff = now.addingTimeInterval(-grace)
        for blob in blobs where !referenced.contains(blob.digest) && blob.modified < graceCutoff {
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

    private func listEntries() throws -> [(path: String, entry: CacheEntry)] {
        let root = store.base + "/entries"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [(path: String, entry: CacheEntry)] = []
        for case let relative as String in walker where relative.hasSuffix(".json") {
            let path = root + "/" + relative
            if let entry = try? store.readEntry(at: path) { result.append((path, entry)) }
        }
        return result
    }

    private func listBlobs() throws -> [(path: String, digest: String, size: Int64, modified: Date)] {
        let root = store.base + "/blobs/sha256"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [(path: String, digest: String, size: Int64, modified: Date)] = []
        for case let relative as String in walker {
            let digest = (relative as NSString).lastPathComponent
            guard CacheEntry.isValidDigest(digest) else { continue }
            let path = root + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date else { continue }
            result.append((path, digest, size.int64Value, modified))
        }
        return result
    }

    private func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
