import CacheKeys
import CacheRetry
import Foundation
import Testing
@testable import CacheCore

/// Save then restore through the same entry points the binaries use, on a file store in a scratch
/// directory: the main job of the plugin.
@Suite("Save and restore on the file store")
struct RoundTripTests {
    static let configuration = #"{"caches":[{"id":"deps","key":"deps-{{ checksum \"lock.txt\" }}","fallback_keys":["deps-"],"paths":["deps","~/.tool"]}]}"#

    func environment(_ scratch: Scratch, extra: [String: String] = [:]) -> JobEnvironment {
        jobEnvironment(scratch, configuration: Self.configuration, extra: extra)
    }

    func makeProject(_ scratch: Scratch, lock: String = "v1") throws {
        try scratch.write("checkout/lock.txt", lock)
        try scratch.write("checkout/deps/a.txt", "alpha")
        try scratch.write("checkout/deps/bin/run", "#!/bin/sh\necho run\n", mode: 0o755)
        try scratch.write("home/.tool/config", "tool config")
    }

    /// The key the cache has for the project as `scratch` holds it now.
    func key(_ scratch: Scratch) throws -> String {
        "deps-" + (try FileChecksum.checksum(of: ["lock.txt"], in: scratch.path + "/checkout"))
    }

    /// The result line of the cache without its duration, to compare whole: a part such as
    /// "deps: miss" would not tell a miss for the wrong reason from the right one.
    func resultLine(_ log: String) -> String? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains(" deps: ") }) else { return nil }
        guard line.hasSuffix(")"), let open = line.lastIndex(of: "(") else { return String(line) }
        return String(line[..<open].dropLast())
    }

    func save(_ environment: JobEnvironment) async -> (JobExitStatus, String) {
        let captured = CapturedLog()
        let status = await SaveJob.run(environment: environment, log: captured.log, dryRun: false, clock: RecordingClock(), random: ZeroRandom())
        return (status, captured.text)
    }

    func restore(_ environment: JobEnvironment, exportFile: String? = nil) async -> (JobExitStatus, String) {
        let captured = CapturedLog()
        let status = await RestoreJob.run(environment: environment, log: captured.log, exportFile: exportFile, dryRun: false,
                                          clock: RecordingClock(), random: ZeroRandom())
        return (status, captured.text)
    }

    @Test func missThenSaveThenExactHit() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let env = environment(scratch)
        let exports = scratch.path + "/exports"

        let (missStatus, missLog) = await restore(env, exportFile: exports)
        #expect(missStatus == .success)
        #expect(resultLine(missLog) == "➖ deps: miss for '\(try key(scratch))': no entry for the key or its fallbacks", "\(missLog)")
        #expect(scratch.read("exports")?.contains("SWIFT_CACHE_HIT_DEPS=miss") == true)

        let (saveStatus, saveLog) = await save(env)
        #expect(saveStatus == .success)
        #expect(saveLog.contains("deps: saved"))

        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
        try FileManager.default.removeItem(atPath: scratch.path + "/home/.tool")
        let (hitStatus, hitLog) = await restore(env, exportFile: exports)
        #expect(hitStatus == .success)
        #expect(hitLog.contains("deps: hit"))
        #expect(scratch.read("checkout/deps/a.txt") == "alpha")
        #expect(scratch.read("home/.tool/config") == "tool config")
        #expect(FileManager.default.isExecutableFile(atPath: scratch.path + "/checkout/deps/bin/run"))
        let exported = try #require(scratch.read("exports"))
        #expect(exported.contains("SWIFT_CACHE_HIT_DEPS=exact\n"))
        #expect(exported.contains("SWIFT_CACHE_MATCHED_KEY_DEPS=deps-"))
        // No staging trees were left beside the targets.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/checkout").filter { $0.hasPrefix(".swift-cache") }
        #expect(leftovers.isEmpty)
    }

    @Test func secondSaveOfTheSameKeyIsSkipped() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let env = environment(scratch)
        _ = await save(env)
        let (status, log) = await save(env)
        #expect(status == .success)
        #expect(log.contains("already cached"))
    }

    @Test func restoreReplacesTheTargetWholeAndDropsStaleFiles() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let env = environment(scratch)
        _ = await save(env)
        try scratch.write("checkout/deps/stale.txt", "old")
        try scratch.write("checkout/deps/a.txt", "changed")
        let (_, log) = await restore(env)
        #expect(log.contains("deps: hit"))
        #expect(scratch.read("checkout/deps/a.txt") == "alpha")
        #expect(!scratch.exists("checkout/deps/stale.txt"))
    }

    @Test func fallbackKeyRestoresTheNewestPrefixMatch() async throws {
        let scratch = try Scratch()
        try makeProject(scratch, lock: "v1")
        _ = await save(environment(scratch))
        try scratch.write("checkout/lock.txt", "v2")
        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
        let exports = scratch.path + "/exports"
        let (_, log) = await restore(environment(scratch), exportFile: exports)
        #expect(log.contains("deps: fallback hit"))
        #expect(scratch.read("checkout/deps/a.txt") == "alpha")
        #expect(scratch.read("exports")?.contains("SWIFT_CACHE_HIT_DEPS=fallback") == true)
    }

    @Test func aBranchReadsTheDefaultBranchButWritesItsOwn() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        _ = await save(environment(scratch, extra: ["BUILDKITE_BRANCH": "main"]))
        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
        let (_, log) = await restore(environment(scratch, extra: ["BUILDKITE_BRANCH": "feature"]))
        #expect(log.contains("deps: hit"))
        // The feature branch's save is skipped: the key exists on the default branch it reads.
        let (_, saveLog) = await save(environment(scratch, extra: ["BUILDKITE_BRANCH": "feature"]))
        #expect(saveLog.contains("already cached"))
        // Another pipeline sees nothing.
        let (_, otherLog) = await restore(environment(scratch, extra: ["BUILDKITE_PIPELINE_SLUG": "api"]))
        #expect(resultLine(otherLog) == "➖ deps: miss for '\(try key(scratch))': no entry for the key or its fallbacks", "\(otherLog)")
    }

    @Test func aCorruptBlobIsAMissThatLeavesTheTargetAndIsRepairedByTheNextSave() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let env = environment(scratch)
        _ = await save(env)
        let blobs = try FileManager.default.subpathsOfDirectory(atPath: scratch.path + "/store/v1/blobs")
            .map { scratch.path + "/store/v1/blobs/" + $0 }
            .filter { !(try FileManager.default.attributesOfItem(atPath: $0)[.type] as? FileAttributeType == .typeDirectory) }
        let blob = try #require(blobs.first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: blob))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: blob))

        try scratch.write("checkout/deps/a.txt", "mine")
        let (status, log) = await restore(env)
        #expect(status == .success)
        // Refused while extracting or found wrong by its digest, depending on the byte flipped.
        let line = try #require(resultLine(log), "\(log)")
        #expect(line.hasPrefix("➖ deps: miss for '\(try key(scratch))': ") && line.contains("corrupt"), "\(log)")
        #expect(scratch.read("checkout/deps/a.txt") == "mine")

        // The bad entry was expired, so the next save writes a good one again.
        try scratch.write("checkout/deps/a.txt", "alpha")
        let (_, saveLog) = await save(env)
        #expect(saveLog.contains("deps: saved"))
        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
        let (_, again) = await restore(env)
        #expect(again.contains("deps: hit"))
        #expect(scratch.read("checkout/deps/a.txt") == "alpha")
    }

    @Test func aMissingBlobIsAMissAndExpiresTheEntry() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let env = environment(scratch)
        _ = await save(env)
        try FileManager.default.removeItem(atPath: scratch.path + "/store/v1/blobs")
        let (status, log) = await restore(env)
        #expect(status == .success)
        #expect(log.contains("missing"))
        #expect(log.contains("Expired"))
    }

    @Test(arguments: [
        ("success", "1", false), ("success", "0", true), ("failure", "1", true), ("failure", "0", false),
        ("always", "1", true), ("never", "0", false),
    ])
    func saveWhenFollowsTheCommandStatus(when: String, status: String, saves: Bool) async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let json = #"{"save-when":"\#(when)","caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#
        let env = jobEnvironment(scratch, configuration: json, extra: ["BUILDKITE_COMMAND_EXIT_STATUS": status])
        let (exit, log) = await save(env)
        #expect(exit == .success)
        #expect(log.contains("deps: saved") == saves)
    }

    @Test func forkPullRequestsReadButDoNotWrite() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let fork = ["BUILDKITE_PULL_REQUEST": "42", "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/outsider/web.git",
                    "BUILDKITE_REPO": "git@github.com:acme/web.git"]
        let (_, log) = await save(environment(scratch, extra: fork))
        #expect(log.contains("pull request from a fork"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/store/v1/entries"))

        let samerepo = ["BUILDKITE_PULL_REQUEST": "42", "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/acme/web",
                        "BUILDKITE_REPO": "git@github.com:acme/web.git"]
        let (_, sameLog) = await save(environment(scratch, extra: samerepo))
        #expect(sameLog.contains("deps: saved"))
    }

    /// Routine (a Rust project without git dependencies): one plain line, not a warning.
    @Test func aPathThatDoesNotExistIsOneInfoLineNotAWarning() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/lock.txt", "v1")
        try scratch.write("checkout/deps/a.txt", "alpha")
        let captured = CapturedLog()
        let status = await SaveJob.run(environment: environment(scratch), log: captured.log, dryRun: false)
        #expect(status == .success)
        #expect(captured.text.components(separatedBy: "'~/.tool' does not exist").count == 2)
        #expect(captured.warnings.isEmpty, "\(captured.text)")
        #expect(captured.text.contains("deps: saved"))
        #expect(!captured.text.contains("staging"))
    }

    /// The loser of two saves of one key says so instead of "saved".
    @Test func theLoserOfTwoSavesOfOneKeySaysItFoundTheEntrySaved() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let env = environment(scratch)
        let configuration = try #require(try ConfigurationLoader.load(env))
        let caches = try ResolvedCache.resolveAll(configuration, environment: env)
        let store = FileStore(root: scratch.path + "/store")
        // The other job commits while this one archives: between the check and the commit.
        let other = CacheEntry(key: caches[0].key, digest: String(repeating: "e", count: 64), size: 1, created: Date(),
                               platform: "linux/amd64", members: ["checkout/deps"], branch: "feature", job: "job-2")
        final class RacingStore: CacheStore, @unchecked Sendable {
            let inner: FileStore
            let other: CacheEntry
            init(_ inner: FileStore, other: CacheEntry) { self.inner = inner; self.other = other }
            var displayName: String { inner.displayName }
            func entry(key: String, scope: StoreScope) async throws -> CacheEntry? { try await inner.entry(key: key, scope: scope) }
            func newestEntry(prefix: String, scope: StoreScope, retrier: Retrier) async throws -> CacheEntry? { nil }
            func fetchBlob(for entry: CacheEntry, retrier: Retrier) async throws -> LocalBlob { try await inner.fetchBlob(for: entry, retrier: retrier) }
            func temporaryArchivePath() throws -> String { try inner.temporaryArchivePath() }
            func putBlob(from path: String, digest: String, retrier: Retrier) async throws {
                try await inner.putBlob(from: path, digest: digest, retrier: retrier)
                _ = try await inner.commit(other, scope: StoreScope(organization: "acme", pipeline: "web", branch: "feature"))
            }
            func commit(_ entry: CacheEntry, scope: StoreScope) async throws -> CommitOutcome { try await inner.commit(entry, scope: scope) }
            func expire(_ entry: CacheEntry, scope: StoreScope) async throws { try await inner.expire(entry, scope: scope) }
        }
        let captured = CapturedLog()
        let context = JobContext(environment: env, store: RacingStore(store, other: other), log: captured.log, retrier: .immediate)
        let result = await Saver(context: context, compressionLevel: 3).saveTimed(caches[0])
        #expect(result.outcome == .alreadySavedByAnotherJob)
        let line = ResultLines.save(result)
        #expect(line.contains("found '\(caches[0].key)' already saved by another job"), "\(line)")
        #expect(!line.contains("saved '"))
        #expect(try await store.entry(key: caches[0].key, scope: StoreScope(organization: "acme", pipeline: "web", branch: "feature"))?.job == "job-2")
    }

    /// `dry-run: true` in the plugin options: keys and paths printed, nothing stored or restored.
    @Test func theDryRunOptionPrintsKeysAndTouchesNothing() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let json = #"{"dry-run":true,"caches":[{"id":"deps","key":"deps-{{ checksum \"lock.txt\" }}","paths":["deps"]}]}"#
        let env = jobEnvironment(scratch, configuration: json)
        let (restoreStatus, restoreLog) = await restore(env)
        #expect(restoreStatus == .success)
        #expect(restoreLog.contains("dry run") && restoreLog.contains("key: deps-"), "\(restoreLog)")
        let (saveStatus, saveLog) = await save(env)
        #expect(saveStatus == .success)
        #expect(saveLog.contains("would save the caches above"), "\(saveLog)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/store"))
    }

    @Test func aConfigurationErrorStopsTheJobInAnErrorSection() async throws {
        let scratch = try Scratch()
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"a","key":"k","paths":["x"],"colour":"red"}]}"#)
        let (status, log) = await restore(env)
        #expect(status == .configurationError)
        #expect(log.contains("+++ "))
        #expect(log.contains("unknown key 'colour'"))
    }

    @Test func dryRunPrintsKeysAndTouchesNothing() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let captured = CapturedLog()
        let status = await RestoreJob.run(environment: environment(scratch), log: captured.log, exportFile: nil, dryRun: true)
        #expect(status == .success)
        #expect(captured.text.contains("key: deps-"))
        #expect(captured.text.contains("fallback key: deps-"))
        #expect(captured.text.contains("path: ~/.tool -> \(scratch.path)/home/.tool"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/store"))
    }

    @Test func anUnreachableStoreFailsTheCacheAndTheJobOnlyWithFailOnError() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        // A file where the store's directory should be: every call fails with ENOTDIR.
        try scratch.write("blocked", "not a directory")
        let base = #"{"store":"file://\#(scratch.path)/blocked","caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]"#
        let (status, log) = await restore(jobEnvironment(scratch, configuration: base + "}"))
        #expect(status == .success)
        #expect(log.contains("deps: failed to restore 'deps-1'"), "\(log)")
        let strict = jobEnvironment(scratch, configuration: base + #","fail-on-error":true}"#)
        let (strictStatus, strictLog) = await save(strict)
        #expect(strictStatus == .cacheFailure)
        #expect(strictLog.contains("+++ "))
        // A store path that is a regular file is a broken store on restore too, not a miss.
        let (strictRestore, strictRestoreLog) = await restore(strict)
        #expect(strictRestore == .cacheFailure, "\(strictRestoreLog)")
        #expect(strictRestoreLog.contains("Not a directory"))
    }

    /// A cancelled restore says so.
    @Test func aCancelledRestoreSaysSo() async throws {
        let scratch = try Scratch()
        try makeProject(scratch)
        let captured = CapturedLog()
        let task = Task {
            await RestoreJob.run(environment: environment(scratch), log: captured.log, exportFile: nil, dryRun: false,
                                 clock: RecordingClock(), random: ZeroRandom())
        }
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(captured.text.contains("restore cancelled"), "\(captured.text)")
    }
}
