import Foundation
import Testing
@testable import CacheCore

@Suite("Pruning a file store")
struct PruneTests {
    let scope = StoreScope(organization: "acme", pipeline: "web", branch: "main")

    /// Stores a blob of `size` bytes and commits an entry naming it, created `age` seconds before `now`.
    func add(_ store: FileStore, key: String, size: Int, age: TimeInterval, now: Date, blobAge: TimeInterval = 7_200) async throws -> String {
        let digest = String(repeating: String(key.count % 10), count: 1) + String(UInt64(abs(key.hashValue)), radix: 16).padding(toLength: 63, withPad: "0", startingAt: 0)
        let temp = try store.temporaryArchivePath()
        try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: temp))
        try await store.putBlob(from: temp, digest: digest, retrier: .immediate)
        try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-blobAge)], ofItemAtPath: store.blobPath(digest))
        try await store.commit(CacheEntry(key: key, digest: digest, size: Int64(size), created: now.addingTimeInterval(-age),
                                          platform: "linux/amd64", members: ["checkout/x"], branch: "main", job: nil), scope: scope)
        return digest
    }

    @Test func removesEntriesOlderThanMaxAgeAndTheirBlobs() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let now = Date()
        let old = try await add(store, key: "old", size: 10, age: 30 * 86_400, now: now)
        let fresh = try await add(store, key: "fresh", size: 10, age: 60, now: now)
        let summary = try FileStorePruner(store: store, now: now).prune(PruneLimits(maxAge: .seconds(14 * 86_400)))
        #expect(summary.entriesRemoved == 1)
        #expect(summary.blobsRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: store.blobPath(old)))
        #expect(FileManager.default.fileExists(atPath: store.blobPath(fresh)))
        #expect(try await store.entry(key: "fresh", scope: scope) != nil)
        #expect(try await store.entry(key: "old", scope: scope) == nil)
    }

    @Test func removesOldestEntriesUntilBlobsFitMaxSize() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let now = Date()
        _ = try await add(store, key: "a", size: 100, age: 300, now: now)
        _ = try await add(store, key: "bb", size: 100, age: 200, now: now)
        _ = try await add(store, key: "ccc", size: 100, age: 100, now: now)
        let summary = try FileStorePruner(store: store, now: now).prune(PruneLimits(maxSize: 250))
        #expect(summary.entriesRemoved == 1)
        #expect(summary.bytesKept == 200)
        #expect(try await store.entry(key: "a", scope: scope) == nil)
        #expect(try await store.entry(key: "ccc", scope: scope) != nil)
    }

    @Test func keepsAFreshUnreferencedBlobOfASaveInProgress() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let now = Date()
        let temp = try store.temporaryArchivePath()
        try Data("in flight".utf8).write(to: URL(fileURLWithPath: temp))
        let digest = String(repeating: "e", count: 64)
        try await store.putBlob(from: temp, digest: digest, retrier: .immediate)
        let summary = try FileStorePruner(store: store, now: now).prune(PruneLimits(maxAge: .seconds(60)))
        #expect(summary.blobsRemoved == 0)
        #expect(FileManager.default.fileExists(atPath: store.blobPath(digest)))
    }

    @Test(arguments: [("14d", 14 * 86_400), ("12h", 43_200), ("30m", 1_800), ("90s", 90)])
    func parsesAges(text: String, seconds: Int64) throws {
        #expect(try PruneLimits.parseAge(text) == .seconds(seconds))
    }

    @Test(arguments: [("20GiB", Int64(20) << 30), ("500MB", 500_000_000), ("4096", 4_096), ("3KiB", 3_072)])
    func parsesSizes(text: String, bytes: Int64) throws {
        #expect(try PruneLimits.parseSize(text) == bytes)
    }

    @Test(arguments: ["", "d", "-1d", "1.5d", "2w"])
    func rejectsBadAges(text: String) {
        #expect(throws: PruneLimitError.self) { try PruneLimits.parseAge(text) }
    }

    @Test(arguments: ["", "GiB", "-5GiB", "1.5GiB", "5 parsecs"])
    func rejectsBadSizes(text: String) {
        #expect(throws: PruneLimitError.self) { try PruneLimits.parseSize(text) }
    }
}
