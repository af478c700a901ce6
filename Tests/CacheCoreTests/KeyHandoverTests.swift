import Foundation
import Testing
@testable import CacheCore

/// pre-command resolves each cache's keys once and hands them to post-command in the state file,
/// so what the command does to the checkout cannot change the key a cache is saved under.
@Suite("Keys handed from pre-command to post-command")
struct KeyHandoverTests {
    static let configuration = #"{"caches":[{"id":"deps","key":"deps-{{ checksum \"**/lock.txt\" }}","fallback_keys":["deps-"],"paths":["deps"]}]}"#

    func project(_ scratch: Scratch) throws -> JobEnvironment {
        try scratch.write("checkout/lock.txt", "v1")
        try scratch.write("checkout/deps/a.txt", "alpha")
        return jobEnvironment(scratch, configuration: Self.configuration)
    }

    func restore(_ env: JobEnvironment, state: String?) async -> (JobExitStatus, String) {
        let captured = CapturedLog()
        let status = await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false, stateFile: state,
                                          clock: RecordingClock(), random: ZeroRandom())
        return (status, captured.text)
    }

    func save(_ env: JobEnvironment, state: String?, clock: RecordingClock = RecordingClock()) async -> (JobExitStatus, String) {
        let captured = CapturedLog()
        let status = await SaveJob.run(environment: env, log: captured.log, dryRun: false, stateFile: state,
                                       clock: clock, random: ZeroRandom())
        return (status, captured.text)
    }

    func preCommandKey(_ scratch: Scratch) throws -> String {
        let state = try StateFile.read(from: scratch.path + "/state")
        return try #require(state.cache("deps")?.key)
    }

    @Test func aCommandThatDeletesTheChecksummedFileSavesUnderThePreCommandKey() async throws {
        let scratch = try Scratch()
        let env = try project(scratch)
        let state = scratch.path + "/state"
        #expect(await restore(env, state: state).0 == .success)
        let key = try preCommandKey(scratch)

        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/lock.txt")
        let (status, log) = await save(env, state: state)
        #expect(status == .success)
        #expect(log.contains("✅ deps: saved '\(key)'"), "\(log)")
    }

    @Test func aGlobThatMatchesFilesTheCommandCreatedSavesUnderThePreCommandKey() async throws {
        let scratch = try Scratch()
        let env = try project(scratch)
        let state = scratch.path + "/state"
        _ = await restore(env, state: state)
        let key = try preCommandKey(scratch)

        // `npm ci` installs a package that ships its own lock file.
        try scratch.write("checkout/deps/node_modules/pkg/lock.txt", "the package's own")
        #expect(await save(env, state: state).1.contains("saved '\(key)'"))
        // The next job's pre-command renders the same key and gets an exact hit.
        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
        let (_, hitLog) = await restore(env, state: scratch.path + "/state2")
        #expect(hitLog.contains("deps: hit on '\(key)'"), "\(hitLog)")
    }

    /// Without a state file (pre-command did not run), post-command renders the keys; a key that
    /// cannot be rendered then fails that cache only, and never the job without fail-on-error.
    @Test func withoutAStateFileAKeyThatCannotBeRenderedFailsOnlyThatCache() async throws {
        let scratch = try Scratch()
        let env = try project(scratch)
        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/lock.txt")
        let (status, log) = await save(env, state: nil)
        #expect(status == .success)
        #expect(log.contains("⚠️  deps: not saved: could not compute its key"), "\(log)")
    }

    /// A skipped save decides before any key is rendered: a missing checksum file is never read.
    @Test(arguments: [(["BUILDKITE_COMMAND_EXIT_STATUS": "1"], "the command failed"),
                      (["BUILDKITE_BRANCH": "feature/x"], "not in save-branches"),
                      (["BUILDKITE_PULL_REQUEST": "7", "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/outsider/web",
                        "BUILDKITE_REPO": "https://github.com/acme/web"], "pull request from a fork")])
    func aSkippedSaveNeverResolvesKeys(extra: [String: String], reason: String) async throws {
        let scratch = try Scratch()
        let json = #"{"save-branches":["main","feature/faster"],"fail-on-error":true,"caches":[{"id":"deps","key":"deps-{{ checksum \"gone.txt\" }}","paths":["deps"]}]}"#
        let env = jobEnvironment(scratch, configuration: json, extra: ["BUILDKITE_BRANCH": "main"].merging(extra) { _, new in new })
        let (status, log) = await save(env, state: nil)
        #expect(status == .success, "\(log)")
        #expect(log.contains("not saving: ") && log.contains(reason), "\(log)")
        #expect(!log.contains("checksum"))
    }

    @Test(arguments: [
        "",
        "not json",
        #"{"version":2,"caches":[]}"#,
        #"{"version":1,"caches":[{"id":"deps","key":"deps-x\n+++ evil"}]}"#,
        #"{"version":1,"caches":[{"id":"deps","key":"deps-x\u0085"}]}"#,
        #"{"version":1,"caches":[{"id":"deps","key":"  "}]}"#,
        #"{"version":1,"caches":[{"id":"deps"}]}"#,
        #"{"version":1,"caches":[{"id":"deps","key":"a"},{"id":"deps","key":"b"}]}"#,
        #"{"version":1,"store_unreachable":"down\n+++ evil","caches":[]}"#,
    ])
    func anUnusableStateFileFallsBackToRenderingWithAWarning(text: String) async throws {
        let scratch = try Scratch()
        let env = try project(scratch)
        let state = try scratch.write("state", text)
        let (status, log) = await save(env, state: state)
        #expect(status == .success)
        #expect(log.contains("cannot use the keys pre-command resolved"), "\(log)")
        #expect(log.contains("✅ deps: saved 'deps-"), "\(log)")
        #expect(!log.contains("evil"))
    }

    @Test func aMissingStateFileFallsBackToo() async throws {
        let scratch = try Scratch()
        let env = try project(scratch)
        let (_, log) = await save(env, state: scratch.path + "/never-written")
        #expect(log.contains("cannot use the keys pre-command resolved"))
        #expect(log.contains("deps: saved"))
    }

    /// When pre-command gave up on the store, post-command tries each call once and says why.
    @Test func afterPreCommandFoundTheStoreUnreachablePostCommandDoesNotWait() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        // Nothing listens on port 9: every call is a refused connection, which is retried.
        let json = #"{"store":"s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:9","caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#
        let env = jobEnvironment(scratch, configuration: json, extra: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"])
        let state = scratch.path + "/state"
        let (restoreStatus, restoreLog) = await restore(env, state: state)
        #expect(restoreStatus == .success, "\(restoreLog)")
        #expect(try StateFile.read(from: state).storeUnreachable != nil)

        let clock = RecordingClock()
        let (status, log) = await save(env, state: state, clock: clock)
        #expect(status == .success)
        #expect(log.contains("pre-command found the store unreachable"), "\(log)")
        #expect(log.contains("trying each call once"))
        #expect(clock.recorded.isEmpty, "no retry waits: \(clock.recorded)")

        let (_, patientLog) = await save(env, state: nil, clock: clock)
        #expect(!clock.recorded.isEmpty, "without that note, the save policy retries: \(patientLog)")
    }
}
