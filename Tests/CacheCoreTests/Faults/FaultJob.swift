import CacheRetry
import Foundation
import Testing
@testable import CacheCore

/// A checkout with one cache, `deps` (fallback `deps-`), and the binaries' own entry points,
/// `RestoreJob.run` and `SaveJob.run`, pointed at a bucket: straight at moto to put a cache in
/// place, through a fault proxy to test.
struct FaultJob {
    let scratch: Scratch
    let bucket: FaultBucket

    init(bucket: FaultBucket) throws {
        self.bucket = bucket
        scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        try scratch.write("checkout/deps/sub/b.txt", "beta")
    }

    /// What a job run left behind: its exit status, its log and the waits its retrier asked for.
    struct Run {
        let status: JobExitStatus
        let log: String
        let waits: [Duration]
    }

    func environment(endpoint: String, key: String, failOnError: Bool) -> JobEnvironment {
        let configuration = """
            {"store":"\(bucket.url(endpoint: endpoint))","annotate":false,"fail-on-error":\(failOnError),\
            "caches":[{"id":"deps","key":"\(key)","fallback_keys":["deps-"],"paths":["deps"]}]}
            """
        return jobEnvironment(scratch, configuration: configuration, extra: [
            "AWS_ACCESS_KEY_ID": FaultBucket.credentials.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": FaultBucket.credentials.secretAccessKey,
            "AWS_REGION": "us-east-1",
        ])
    }

    func save(endpoint: String, key: String, failOnError: Bool = false) async -> Run {
        let captured = CapturedLog()
        let clock = RecordingClock()
        let status = await SaveJob.run(environment: environment(endpoint: endpoint, key: key, failOnError: failOnError),
                                       log: captured.log, dryRun: false, clock: clock, random: ZeroRandom(),
                                       budgetClock: NeverEndingClock())
        return Run(status: status, log: captured.text, waits: clock.recorded)
    }

    /// - Parameter budgetClock: ends the restore-timeout; by default one that never does.
    func restore(endpoint: String, key: String, failOnError: Bool = false,
                 budgetClock: any RetryClock = NeverEndingClock()) async -> Run {
        let captured = CapturedLog()
        let clock = RecordingClock()
        let status = await RestoreJob.run(environment: environment(endpoint: endpoint, key: key, failOnError: failOnError),
                                          log: captured.log, exportFile: nil, dryRun: false, clock: clock, random: ZeroRandom(),
                                          budgetClock: budgetClock)
        return Run(status: status, log: captured.text, waits: clock.recorded)
    }

    /// Saves `key` straight to moto and removes the cached directory, so a restore has something
    /// to bring back.
    func seed(key: String) async throws {
        let run = await save(endpoint: bucket.moto.endpoint, key: key)
        try #require(run.status == .success && run.log.contains("deps: saved"), "seeding the cache failed: \(run.log)")
        try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
    }

    /// Whether the restore put the saved tree back.
    var restored: Bool {
        scratch.read("checkout/deps/a.txt") == "alpha" && scratch.read("checkout/deps/sub/b.txt") == "beta"
    }

    /// Deletes the blob of the saved entry `key` behind the store's back: the restore then finds the
    /// entry without its blob, and expires the entry.
    func deleteBlob(of key: String) async throws {
        let store = try bucket.direct()
        let entry = try #require(try await store.entry(key: key, scope: FaultBucket.scope))
        try await store.client.delete(store.blobKey(entry.digest))
    }
}
