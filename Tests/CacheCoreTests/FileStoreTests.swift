import Foundation
import Testing
@testable import CacheCore

@Suite("The file store")
struct FileStoreTests {
    let scope = StoreScope(organization: "acme", pipeline: "web", branch: "feature/x")

    func entry(_ key: String, digest: String = String(repeating: "a", count: 64), at seconds: TimeInterval) -> CacheEntry {
        CacheEntry(key: key, digest: digest, size: 1, created: Date(timeIntervalSince1970: seconds), platform: "linux/amd64",
                   members: ["checkout/x"], branch: scope.branch, job: nil)
    }

    @Test func commitThenLookUpExactAndByPrefixNewestWins() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        try await store.commit(entry("npm-linux-aaa", at: 100), scope: scope)
        try await store.commit(entry("npm-linux-bbb", at: 200), scope: scope)
        try await store.commit(entry("npm-darwin-ccc", at: 300), scope: scope)
        #expect(try await store.entry(key: "npm-linux-aaa", scope: scope)?.key == "npm-linux-aaa")
        #expect(try await store.entry(key: "npm-linux", scope: scope) == nil)
        #expect(try await store.newestEntry(prefix: "npm-linux-", scope: scope)?.key == "npm-linux-bbb")
        #expect(try await store.newestEntry(prefix: "pip-", scope: scope) == nil)
        let other = StoreScope(organization: "acme", pipeline: "api", branch: "feature/x")
        #expect(try await store.entry(key: "npm-linux-aaa", scope: other) == nil)
    }

    @Test func keysWithAnyCharactersAndVeryLongKeysRoundTrip() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let odd = "../ü key/with%slashes"
        let long = "long-" + String(repeating: "x", count: 400)
        try await store.commit(entry(odd, at: 1), scope: scope)
        try await store.commit(entry(long, at: 2), scope: scope)
        #expect(try await store.entry(key: odd, scope: scope)?.key == odd)
        #expect(try await store.entry(key: long, scope: scope)?.key == long)
        #expect(try await store.newestEntry(prefix: "long-", scope: scope)?.key == long)
        #expect(try await store.newestEntry(prefix: "../ü", scope: scope)?.key == odd)
        // Nothing escaped the entries directory.
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/v1/ü key"))
    }

    @Test func expireRemovesOnlyTheEntryThatWasRead() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let bad = entry("k", digest: String(repeating: "b", count: 64), at: 1)
        let good = entry("k", digest: String(repeating: "c", count: 64), at: 2)
        #expect(try await store.commit(good, scope: scope) == .committed)
        try await store.expire(bad, scope: scope)
        #expect(try await store.entry(key: "k", scope: scope) != nil)
        try await store.expire(good, scope: scope)
        #expect(try await store.entry(key: "k", scope: scope) == nil)
    }

    /// Two jobs saving one key at once: the first commit keeps its entry whole, the second learns
    /// it lost instead of replacing it.
    @Test func aSecondCommitOfAKeyKeepsTheFirstAndSaysSo() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let first = entry("k", digest: String(repeating: "a", count: 64), at: 1)
        let second = entry("k", digest: String(repeating: "b", count: 64), at: 2)
        #expect(try await store.commit(first, scope: scope) == .committed)
        #expect(try await store.commit(second, scope: scope) == .alreadySaved)
        #expect(try await store.entry(key: "k", scope: scope)?.digest == first.digest)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/v1/tmp")
        #expect(leftovers.isEmpty, "no temporary entry is left behind: \(leftovers)")
    }

    /// A store path that is a regular file, or a directory the agent cannot read, is a broken
    /// store: an error, not "no entry" (which would hide it as a miss even with fail-on-error).
    @Test func aStorePathThatIsAFileOrUnreadableIsAnErrorNotAMiss() async throws {
        let scratch = try Scratch()
        try scratch.write("plain-file", "not a directory")
        let blocked = FileStore(root: scratch.path + "/plain-file")
        await #expect(throws: FileSystemError.self) { try await blocked.entry(key: "k", scope: scope) }
        await #expect(throws: FileSystemError.self) { try await blocked.newestEntry(prefix: "k", scope: scope) }
        #expect(try await FileStore(root: scratch.path + "/fresh").entry(key: "k", scope: scope) == nil, "a store not created yet is empty")
    }

    @Test func putBlobMovesTheArchiveAndLeavesNoTemporaryFiles() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let temp = try store.temporaryArchivePath()
        try Data("blob".utf8).write(to: URL(fileURLWithPath: temp))
        let digest = String(repeating: "d", count: 64)
        try await store.putBlob(from: temp, digest: digest, retrier: .immediate)
        let blob = try await store.fetchBlob(for: entry("k", digest: digest, at: 1), retrier: .immediate)
        #expect(FileManager.default.contents(atPath: blob.path) == Data("blob".utf8))
        #expect(!blob.isTemporary)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/v1/tmp").isEmpty)
    }

    @Test func aMissingBlobIsReportedAsSuch() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        await #expect(throws: StoreError.self) {
            _ = try await store.fetchBlob(for: entry("k", at: 1), retrier: .immediate)
        }
    }

    @Test func unreadableEntriesAreIgnoredNotFatal() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path)
        let path = store.entryPath(key: "k", scope: scope)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try await store.entry(key: "k", scope: scope) == nil)
        #expect(try await store.newestEntry(prefix: "k", scope: scope) == nil)
    }

    @Test func storeLocationDefaultsAndErrors() throws {
        let scratch = try Scratch()
        let environment = JobEnvironment(["HOME": scratch.path])
        let fallback = try StoreLocation.resolve(option: nil, environment: environment)
        #expect(fallback.displayName == "file://\(scratch.path)/.cache/swift-cache/store")
        let fleet = try StoreLocation.resolve(option: nil, environment: JobEnvironment(["BUILDKITE_CACHE_STORE_URL": "file:///srv/cache"]))
        #expect(fleet.displayName == "file:///srv/cache")
        #expect(throws: StoreError.self) { try StoreLocation.resolve(option: "ftp://x", environment: environment) }
        #expect(throws: StoreError.self) { try StoreLocation.resolve(option: "file://relative/path", environment: environment) }
    }
}
