import CacheRetry
import Foundation
import Testing
@testable import CacheCore

extension FaultInjection {
    /// A store that accepts the blob GET and never answers: the restore ends when its budget does
    /// (the budget's clock is the test's: it runs out as soon as the silent request has arrived),
    /// the cache is reported as failed, and the job goes on, or fails with fail-on-error.
    @Suite("A hung store never holds a job")
    struct HungStore {
        @Test(arguments: [false, true])
        func aSilentBlobGETEndsWithinTheRestoreBudget(failOnError: Bool) async throws {
            let bucket = try await FaultBucket.make()
            let job = try FaultJob(bucket: bucket)
            try await job.seed(key: "deps-v1")
            let run = try await bucket.withProxy([.always(.getBlob, .silence)]) { proxy in
                await job.restore(endpoint: proxy.endpoint, key: "deps-v1", failOnError: failOnError,
                                  budgetClock: EventClock { proxy.count(.getBlob) >= 1 })
            }
            #expect(run.log.contains("deps: failed to restore 'deps-v1': not restored within restore-timeout (30s)"), "\(run.log)")
            #expect(run.status == (failOnError ? .cacheFailure : .success))
            if !failOnError { #expect(run.log.contains("The job goes on without that cache")) }
            #expect(!job.restored)
        }
    }
}
