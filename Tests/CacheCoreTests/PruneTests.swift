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

/// Prune never deletes a blob that an entry names, whichever version of the plugin wrote it.
@Suite("Pruning keeps every named blob")
struct PruneForeignEntryTests {
    let scope = StoreScope(organization: "acme", pipeline: "web", branch: "main")

    func blob(_ store: FileStore, _ fill: Character, age: TimeInterval = 7_200) async throws -> String {
        let digest = String(repeating: String(fill), count: 64)
        let temp = try store.temporaryArchivePath()
        try Data(repeating: 1, count: 10).write(to: URL(fileURLWithPath: temp))
        try await store.putBlob(from: temp, digest: digest, retrier: .immediate)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: store.blobPath(digest))
        return digest
    }

    func writeEntry(_ store: FileStore, name: String, _ text: String) throws {
        let directory = store.base + "/entries/acme/web/main"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try text.write(toFile: directory + "/" + name + ".json", atomically: true, encoding: .utf8)
    }

    @Test func anEntryOfAnotherVersionKeepsItsBlobAndItself() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let named = try await blob(store, "a")
        let unnamed = try await blob(store, "b")
        try writeEntry(store, name: "future", #"{"version": 7, "digest": "sha256:\#(named)", "created": "someday", "layers": []}"#)
        let summary = try FileStorePruner(store: store).prune(PruneLimits(maxAge: .seconds(1)))
        #expect(FileManager.default.fileExists(atPath: store.blobPath(named)))
        #expect(!FileManager.default.fileExists(atPath: store.blobPath(unnamed)))
        #expect(summary.foreignEntriesKept == 1)
        #expect(summary.entriesRemoved == 0)
        #expect(summary.lines(store: "s")[0].contains("kept 1 entry this version cannot read"))
    }

    @Test func anEntryWithoutAReadableDigestStopsEveryUnnamedBlobFromGoing() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let unnamed = try await blob(store, "c")
        try writeEntry(store, name: "garbled", "not json at all")
        let summary = try FileStorePruner(store: store).prune(PruneLimits(maxAge: .seconds(1)))
        #expect(FileManager.default.fileExists(atPath: store.blobPath(unnamed)))
        #expect(summary.blobsRemoved == 0)
        #expect(summary.entriesWithoutDigest.count == 1)
        #expect(summary.lines(store: "s").count == 2)
    }

    @Test func aStoreThatDoesNotExistIsAnError() throws {
        #expect(throws: PruneError.self) {
            try FileStorePruner(store: FileStore(root: "/does-not-exist")).prune(PruneLimits(maxAge: .seconds(1)))
        }
    }

    @Test func theSummarySaysOneEntryNotOneEntries() {
        var summary = FileStorePruner.Summary()
        summary.entriesRemoved = 1
        summary.blobsRemoved = 1
        summary.temporaryFilesRemoved = 1
        #expect(summary.lines(store: "file:///s") == ["pruned file:///s: 1 entry and 1 blob removed, 0 B freed, 0 B kept, 1 temporary file removed"])
    }
}
