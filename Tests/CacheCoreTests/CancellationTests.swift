import Foundation
import Testing
@testable import CacheCore

@Suite("A cancelled job")
struct JobCancellationTests {
    @Test func aCancelledRestoreLeavesTheTargetAndNoStaging() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#)
        let captured = CapturedLog()
        #expect(await SaveJob.run(environment: env, log: captured.log, dryRun: false) == .success)
        try scratch.write("checkout/deps/a.txt", "mine")

        let task = Task { await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false,
                                               clock: RecordingClock(), random: ZeroRandom()) }
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(scratch.read("checkout/deps/a.txt") == "mine")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/checkout").filter { $0.hasPrefix(".swift-cache") }
        #expect(leftovers.isEmpty)
    }

    @Test func aCancelledSaveLeavesNoEntryAndNoTemporaryFile() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#)
        let captured = CapturedLog()
        let task = Task { await SaveJob.run(environment: env, log: captured.log, dryRun: false,
                                            clock: RecordingClock(), random: ZeroRandom()) }
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/store/v1/entries"))
        let temporary = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path + "/store/v1/tmp")) ?? []
        #expect(temporary.isEmpty)
    }
}
