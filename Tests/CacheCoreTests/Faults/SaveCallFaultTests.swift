import Foundation
import Testing
@testable import CacheCore
@testable import CacheS3

/// Each call `cache-save` makes for a blob below the multipart threshold, broken by the proxy while
/// `SaveJob.run` (the binary's own entry point) saves a cache. The multipart calls are in
/// `TransferCalls`, because a job's blob is far below the 64 MiB threshold.
///
/// A save that meets no fault makes: GET entry on the job's branch and on the default branch (is
/// it cached already? both 404), one PUT of the blob, one conditional PUT of the entry (the commit).
extension FaultInjection {
    @Suite("Each call of cache-save, through SaveJob")
    struct SaveCalls {
        static let plain: [S3Call: Int] = [.getEntry: 2, .putBlob: 1, .putEntry: 1]

        enum Ending: Sendable, Equatable {
            case saved
            /// The store failed the call: a warning, and the job goes on.
            case failed(String)
        }

        struct Case: Sendable, CustomTestStringConvertible {
            let name: String
            let rules: [FaultRule]
            let traffic: [S3Call: Int]
            /// Failures of the faulted call that were retried: one wait each.
            let retried: Int
            let ending: Ending
            var testDescription: String { name }
        }

        // MARK: (a) a retried fault passes: k failures, k + 1 attempts of that call alone

        static let recovering: [Case] = [
            Case(name: "existence check GET: 500 twice", rules: [FaultRule(.getEntry, .internalError, times: 2)],
                 traffic: plain.adding([.getEntry: 2]), retried: 2, ending: .saved),
            Case(name: "existence check GET: reset twice", rules: [FaultRule(.getEntry, .reset, times: 2)],
                 traffic: plain.adding([.getEntry: 2]), retried: 2, ending: .saved),
            // The 404 that says "not cached" is an answer only when its body arrives whole.
            Case(name: "existence check GET: 404 cut mid-body once", rules: [FaultRule(.getEntry, .cutBody, times: 1)],
                 traffic: plain.adding([.getEntry: 1]), retried: 1, ending: .saved),
            Case(name: "existence check GET: closed without an answer once", rules: [FaultRule(.getEntry, .hangUp, times: 1)],
                 traffic: plain.adding([.getEntry: 1]), retried: 1, ending: .saved),
            Case(name: "existence check GET: a proxy's HTML page with 200 once", rules: [FaultRule(.getEntry, .htmlPage(status: 200), times: 1)],
                 traffic: plain.adding([.getEntry: 1]), retried: 1, ending: .saved),

            Case(name: "blob PUT: reset twice", rules: [FaultRule(.putBlob, .reset, times: 2)],
                 traffic: plain.adding([.putBlob: 2]), retried: 2, ending: .saved),
            Case(name: "blob PUT: 503 three times", rules: [FaultRule(.putBlob, .unavailable, times: 3)],
                 traffic: plain.adding([.putBlob: 3]), retried: 3, ending: .saved),
            Case(name: "blob PUT: 429 once", rules: [FaultRule(.putBlob, .throttled, times: 1)],
                 traffic: plain.adding([.putBlob: 1]), retried: 1, ending: .saved),
            Case(name: "blob PUT: answer lost once", rules: [FaultRule(.putBlob, .lostAnswer, times: 1)],
                 traffic: plain.adding([.putBlob: 1]), retried: 1, ending: .saved),

            // The commit is retried on its own: the blob is not uploaded again.
            Case(name: "commit PUT: 503 twice", rules: [FaultRule(.putEntry, .unavailable, times: 2)],
                 traffic: plain.adding([.putEntry: 2]), retried: 2, ending: .saved),
            Case(name: "commit PUT: 429 twice", rules: [FaultRule(.putEntry, .throttled, times: 2)],
                 traffic: plain.adding([.putEntry: 2]), retried: 2, ending: .saved),
            Case(name: "commit PUT: closed without an answer twice", rules: [FaultRule(.putEntry, .hangUp, times: 2)],
                 traffic: plain.adding([.putEntry: 2]), retried: 2, ending: .saved),
            Case(name: "commit PUT: reset once", rules: [FaultRule(.putEntry, .reset, times: 1)],
                 traffic: plain.adding([.putEntry: 1]), retried: 1, ending: .saved),
            // S3 stored it; the retry's If-None-Match finds the key taken (412), and one GET of the
            // entry shows it is ours (our digest and job), not another job's: success.
            Case(name: "commit PUT: answer lost once", rules: [FaultRule(.putEntry, .lostAnswer, times: 1)],
                 traffic: plain.adding([.putEntry: 1, .getEntry: 1]), retried: 1, ending: .saved),
            // A 403 from S3 is final, but an HTML page is not S3 speaking: retried whatever its status.
            Case(name: "commit PUT: a proxy's HTML page with 403 once", rules: [FaultRule(.putEntry, .htmlPage(status: 403), times: 1)],
                 traffic: plain.adding([.putEntry: 1]), retried: 1, ending: .saved),
        ]

        // MARK: (b) a retried fault that never stops: 10 attempts, then a warning and the job goes on

        static let givingUp: [Case] = [
            Case(name: "existence check GET: 503 every time", rules: [.always(.getEntry, .unavailable)],
                 traffic: [.getEntry: 10], retried: 9, ending: .failed("the store did not answer")),
            Case(name: "blob PUT: reset every time", rules: [.always(.putBlob, .reset)],
                 traffic: [.getEntry: 2, .putBlob: 10], retried: 9, ending: .failed("could not store the cache")),
            Case(name: "commit PUT: 500 every time", rules: [.always(.putEntry, .internalError)],
                 traffic: [.getEntry: 2, .putBlob: 1, .putEntry: 10], retried: 9, ending: .failed("could not store the cache")),
        ]

        // MARK: (c) a final fault: one attempt

        static let final: [Case] = [
            Case(name: "existence check GET: 400", rules: [.always(.getEntry, .badRequest)],
                 traffic: [.getEntry: 1], retried: 0, ending: .failed("the store did not answer")),
            Case(name: "blob PUT: 403", rules: [.always(.putBlob, .accessDenied)],
                 traffic: [.getEntry: 2, .putBlob: 1], retried: 0, ending: .failed("could not store the cache")),
            Case(name: "blob PUT: 400", rules: [.always(.putBlob, .badRequest)],
                 traffic: [.getEntry: 2, .putBlob: 1], retried: 0, ending: .failed("could not store the cache")),
            Case(name: "commit PUT: 403", rules: [.always(.putEntry, .accessDenied)],
                 traffic: plain, retried: 0, ending: .failed("could not store the cache")),
            Case(name: "commit PUT: 400", rules: [.always(.putEntry, .badRequest)],
                 traffic: plain, retried: 0, ending: .failed("could not store the cache")),
            // Credentials without s3:ListBucket get 403 for a missing key: the check takes it as
            // "not cached", once per branch, and the save goes ahead.
            Case(name: "existence check GET: 403 is not cached", rules: [.always(.getEntry, .accessDenied)],
                 traffic: plain, retried: 0, ending: .saved),
        ]

        @Test("(a) a retried fault passes after k failures with k + 1 attempts of that call only", arguments: recovering)
        func recovers(_ scenario: Case) async throws {
            try await run(scenario)
        }

        @Test("(b) a retried fault that never stops gives up after 10 attempts and the job goes on", arguments: givingUp)
        func givesUp(_ scenario: Case) async throws {
            try await run(scenario)
        }

        @Test("(c) a final fault stops after one attempt", arguments: final)
        func stopsAtOnce(_ scenario: Case) async throws {
            try await run(scenario)
        }

        /// fail-on-error turns a cache the store failed into exit status 1; a 403 on the
        /// existence check is "not cached", and the save goes on.
        @Test("with fail-on-error a call that failed for good fails the job", arguments: givingUp + final)
        func failOnError(_ scenario: Case) async throws {
            try await run(scenario, failOnError: true)
        }

        func run(_ scenario: Case, failOnError: Bool = false) async throws {
            let bucket = try await FaultBucket.make()
            let job = try FaultJob(bucket: bucket)
            let run = try await bucket.withProxy(scenario.rules) { proxy in
                let run = await job.save(endpoint: proxy.endpoint, key: "deps-v1", failOnError: failOnError)
                expectTraffic(proxy, scenario.traffic)
                return run
            }
            #expect(run.waits == PolicyWaits.save(scenario.retried), "the save policy's waits, one per retried failure")
            #expect(run.log.components(separatedBy: "retrying in").count - 1 == scenario.retried, "one log line per retry")
            for rule in scenario.rules where scenario.retried > 0 || scenario.ending != .saved {
                #expect(run.log.contains(rule.fault.evidence), "the log shows the fault as \(rule.fault): \(run.log)")
            }

            let direct = try bucket.direct()
            let stored = try await direct.entry(key: "deps-v1", scope: FaultBucket.scope)
            switch scenario.ending {
            case .saved:
                #expect(run.log.contains("✅ deps: saved 'deps-v1'"), "\(run.log)")
                #expect(run.status == .success)
                let entry = try #require(stored, "the commit made the entry visible")
                let blob = try await direct.client.head(direct.blobKey(entry.digest))
                #expect(blob?.size == entry.size, "the entry's blob is whole in the store")
            case .failed(let reason):
                #expect(run.log.contains("⚠️  deps: not saved: \(reason)"), "\(run.log)")
                #expect(run.status == (failOnError ? .cacheFailure : .success))
                #expect(stored == nil, "nothing a restore could pick up")
            }
        }
    }
}
