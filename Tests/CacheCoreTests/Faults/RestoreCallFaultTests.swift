import Foundation
import Testing
@testable import CacheCore

/// Each call `cache-restore` makes, broken by the proxy while `RestoreJob.run` (the binary's own
/// entry point) restores a cache that was saved straight to moto beforehand.
///
/// A run that meets no fault makes these calls (the traffic each case starts from):
/// - exact hit: GET entry, HEAD blob, GET blob (a blob of up to 8 MiB is one plain GET, streamed
///   into the extraction as it arrives);
/// - fallback hit (`deps-v2` wanted, `deps-v1` saved): GET entry on the job's branch and on the
///   default branch, then the prefix lookup: two ListObjectsV2 (plain names, hashed names) and a
///   GET of the candidate entry, each retried on its own; then HEAD and GET of the blob;
/// - blob gone: GET entry, HEAD blob (404), then the expire: GET entry again and DELETE entry.
extension FaultInjection {
    @Suite("Each call of cache-restore, through RestoreJob")
    struct RestoreCalls {
        static let exact: [S3Call: Int] = [.getEntry: 1, .headBlob: 1, .getBlob: 1]
        static let fallback: [S3Call: Int] = [.getEntry: 3, .listObjects: 2, .headBlob: 1, .getBlob: 1]
        static let expired: [S3Call: Int] = [.getEntry: 2, .headBlob: 1, .deleteEntry: 1]

        /// The saved entry's own path: on a fallback lookup only the candidate GET asks for it.
        static let isSavedEntry: @Sendable (SeenRequest) -> Bool = { $0.path.hasSuffix("/feature/deps-v1.json") }

        enum Ending: Sendable, Equatable {
            case hit, fallbackHit
            /// The entry's blob was gone: a miss, and the entry expired.
            case expiredMiss
            /// The entry's blob was gone: a miss, and a warning that the entry could not be expired.
            case unexpiredMiss
            /// The store failed the call: a miss with a warning, and the job goes on.
            case failedMiss(String)
            /// The store's answer meant "no entry".
            case plainMiss
        }

        struct Case: Sendable, CustomTestStringConvertible {
            let name: String
            var key = "deps-v1"
            var blobGone = false
            let rules: [FaultRule]
            let traffic: [S3Call: Int]
            /// Failures of the faulted call that were retried: one wait each.
            let retried: Int
            let ending: Ending
            var testDescription: String { name }
        }

        // MARK: (a) a retried fault passes: k failures, k + 1 attempts of that call alone

        static let recovering: [Case] = [
            Case(name: "exact lookup GET: 503 twice", rules: [FaultRule(.getEntry, .unavailable, times: 2)],
                 traffic: exact.adding([.getEntry: 2]), retried: 2, ending: .hit),
            Case(name: "exact lookup GET: 429 once", rules: [FaultRule(.getEntry, .throttled, times: 1)],
                 traffic: exact.adding([.getEntry: 1]), retried: 1, ending: .hit),
            Case(name: "exact lookup GET: reset twice", rules: [FaultRule(.getEntry, .reset, times: 2)],
                 traffic: exact.adding([.getEntry: 2]), retried: 2, ending: .hit),
            Case(name: "exact lookup GET: 200 cut mid-body twice", rules: [FaultRule(.getEntry, .cutBody, times: 2)],
                 traffic: exact.adding([.getEntry: 2]), retried: 2, ending: .hit),
            Case(name: "exact lookup GET: a proxy's HTML page with 200 once", rules: [FaultRule(.getEntry, .htmlPage(status: 200), times: 1)],
                 traffic: exact.adding([.getEntry: 1]), retried: 1, ending: .hit),
            Case(name: "exact lookup GET: answer lost once", rules: [FaultRule(.getEntry, .lostAnswer, times: 1)],
                 traffic: exact.adding([.getEntry: 1]), retried: 1, ending: .hit),

            Case(name: "prefix lookup LIST: 500 twice", key: "deps-v2", rules: [FaultRule(.listObjects, .internalError, times: 2)],
                 traffic: fallback.adding([.listObjects: 2]), retried: 2, ending: .fallbackHit),
            Case(name: "prefix lookup LIST: a proxy's HTML page with 200 once", key: "deps-v2",
                 rules: [FaultRule(.listObjects, .htmlPage(status: 200), times: 1)],
                 traffic: fallback.adding([.listObjects: 1]), retried: 1, ending: .fallbackHit),
            Case(name: "prefix lookup LIST: 200 cut mid-body once", key: "deps-v2", rules: [FaultRule(.listObjects, .cutBody, times: 1)],
                 traffic: fallback.adding([.listObjects: 1]), retried: 1, ending: .fallbackHit),
            Case(name: "prefix lookup LIST: reset once", key: "deps-v2", rules: [FaultRule(.listObjects, .reset, times: 1)],
                 traffic: fallback.adding([.listObjects: 1]), retried: 1, ending: .fallbackHit),
            // The prefix lookup is many calls (each LIST page, each candidate GET), each retried on
            // its own: a failed candidate GET is read again without listing again.
            Case(name: "prefix lookup candidate GET: 503 twice", key: "deps-v2",
                 rules: [FaultRule(.getEntry, .unavailable, times: 2, when: isSavedEntry)],
                 traffic: fallback.adding([.getEntry: 2]), retried: 2, ending: .fallbackHit),
            Case(name: "prefix lookup candidate GET: 200 cut mid-body once", key: "deps-v2",
                 rules: [FaultRule(.getEntry, .cutBody, times: 1, when: isSavedEntry)],
                 traffic: fallback.adding([.getEntry: 1]), retried: 1, ending: .fallbackHit),

            Case(name: "blob HEAD: 503 twice", rules: [FaultRule(.headBlob, .unavailable, times: 2)],
                 traffic: exact.adding([.headBlob: 2]), retried: 2, ending: .hit),
            Case(name: "blob HEAD: reset once", rules: [FaultRule(.headBlob, .reset, times: 1)],
                 traffic: exact.adding([.headBlob: 1]), retried: 1, ending: .hit),
            // No body to decode, but the page's headers describe a page, not the blob.
            Case(name: "blob HEAD: a proxy's HTML page with 200 once", rules: [FaultRule(.headBlob, .htmlPage(status: 200), times: 1)],
                 traffic: exact.adding([.headBlob: 1]), retried: 1, ending: .hit),
            // The bytes before a cut are already being extracted: each retry asks for the rest
            // only, a ranged GET from the first byte not received.
            Case(name: "blob GET: 200 cut mid-body, then its rest cut too",
                 rules: [FaultRule(.getBlob, .cutBody, times: 1), FaultRule(.getBlobRange, .cutBody, times: 1)],
                 traffic: exact.adding([.getBlobRange: 2]), retried: 2, ending: .hit),
            Case(name: "blob GET: answer lost once", rules: [FaultRule(.getBlob, .lostAnswer, times: 1)],
                 traffic: exact.adding([.getBlob: 1]), retried: 1, ending: .hit),
            Case(name: "blob GET: closed without an answer twice", rules: [FaultRule(.getBlob, .hangUp, times: 2)],
                 traffic: exact.adding([.getBlob: 2]), retried: 2, ending: .hit),
            Case(name: "blob GET: 500 three times", rules: [FaultRule(.getBlob, .internalError, times: 3)],
                 traffic: exact.adding([.getBlob: 3]), retried: 3, ending: .hit),

            // The expire is one call too: it reads the entry again before each DELETE, so that it
            // never removes an entry that a save has replaced meanwhile.
            Case(name: "expire GET: 503 twice", blobGone: true, rules: [FaultRule(.getEntry, .unavailable, times: 2, skipping: 1)],
                 traffic: expired.adding([.getEntry: 2]), retried: 2, ending: .expiredMiss),
            Case(name: "expire GET: 200 cut mid-body once", blobGone: true, rules: [FaultRule(.getEntry, .cutBody, times: 1, skipping: 1)],
                 traffic: expired.adding([.getEntry: 1]), retried: 1, ending: .expiredMiss),
            Case(name: "expire DELETE: reset twice", blobGone: true, rules: [FaultRule(.deleteEntry, .reset, times: 2)],
                 traffic: expired.adding([.getEntry: 2, .deleteEntry: 2]), retried: 2, ending: .expiredMiss),
            // S3 deleted it; the retry reads that it is gone and sends no second DELETE.
            Case(name: "expire DELETE: answer lost once", blobGone: true, rules: [FaultRule(.deleteEntry, .lostAnswer, times: 1)],
                 traffic: expired.adding([.getEntry: 1]), retried: 1, ending: .expiredMiss),
        ]

        // MARK: (b) a retried fault that never stops: 5 attempts, then a miss and the job goes on

        static let givingUp: [Case] = [
            Case(name: "exact lookup GET: 503 every time", rules: [.always(.getEntry, .unavailable)],
                 traffic: [.getEntry: 5], retried: 4, ending: .failedMiss("the store did not answer")),
            Case(name: "prefix lookup LIST: reset every time", key: "deps-v2", rules: [.always(.listObjects, .reset)],
                 traffic: [.getEntry: 2, .listObjects: 5], retried: 4, ending: .failedMiss("the store did not answer")),
            Case(name: "prefix lookup candidate GET: 200 cut every time", key: "deps-v2",
                 rules: [.always(.getEntry, .cutBody, when: isSavedEntry)],
                 traffic: [.getEntry: 2 + 5, .listObjects: 2], retried: 4, ending: .failedMiss("the store did not answer")),
            Case(name: "blob HEAD: 500 every time", rules: [.always(.headBlob, .internalError)],
                 traffic: [.getEntry: 1, .headBlob: 5], retried: 4, ending: .failedMiss("could not fetch the blob")),
            Case(name: "blob GET: a proxy's HTML 502 page every time", rules: [.always(.getBlob, .htmlPage(status: 502))],
                 traffic: [.getEntry: 1, .headBlob: 1, .getBlob: 5], retried: 4, ending: .failedMiss("could not fetch the blob")),
            // Giving up on the expire is only a warning: the miss was already decided.
            Case(name: "expire DELETE: 503 every time", blobGone: true, rules: [.always(.deleteEntry, .unavailable)],
                 traffic: [.getEntry: 1 + 5, .headBlob: 1, .deleteEntry: 5], retried: 4, ending: .unexpiredMiss),
        ]

        // MARK: (c) a final fault: one attempt

        static let final: [Case] = [
            Case(name: "blob HEAD: 403", rules: [.always(.headBlob, .accessDenied)],
                 traffic: [.getEntry: 1, .headBlob: 1], retried: 0, ending: .failedMiss("could not fetch the blob")),
            Case(name: "blob GET: 400", rules: [.always(.getBlob, .badRequest)],
                 traffic: exact, retried: 0, ending: .failedMiss("could not fetch the blob")),
            Case(name: "prefix lookup LIST: 403", key: "deps-v2", rules: [.always(.listObjects, .accessDenied)],
                 traffic: [.getEntry: 2, .listObjects: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "exact lookup GET: 400", rules: [.always(.getEntry, .badRequest)],
                 traffic: [.getEntry: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "expire DELETE: 403", blobGone: true, rules: [.always(.deleteEntry, .accessDenied)],
                 traffic: expired, retried: 0, ending: .unexpiredMiss),
            // Credentials that are wrong, expired or used with a skewed clock: a failure with a hint
            // (fail-on-error fires), never a miss, and not retried.
            Case(name: "exact lookup GET: 403 InvalidAccessKeyId", rules: [.always(.getEntry, .status(403, code: "InvalidAccessKeyId"))],
                 traffic: [.getEntry: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "exact lookup GET: 403 SignatureDoesNotMatch", rules: [.always(.getEntry, .status(403, code: "SignatureDoesNotMatch"))],
                 traffic: [.getEntry: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "exact lookup GET: 403 RequestTimeTooSkewed", rules: [.always(.getEntry, .status(403, code: "RequestTimeTooSkewed"))],
                 traffic: [.getEntry: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "exact lookup GET: 400 ExpiredToken", rules: [.always(.getEntry, .status(400, code: "ExpiredToken"))],
                 traffic: [.getEntry: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "exact lookup GET: 400 InvalidToken", rules: [.always(.getEntry, .status(400, code: "InvalidToken"))],
                 traffic: [.getEntry: 1], retried: 0, ending: .failedMiss("the store did not answer")),
            Case(name: "prefix lookup candidate GET: 403 InvalidAccessKeyId", key: "deps-v2",
                 rules: [.always(.getEntry, .status(403, code: "InvalidAccessKeyId"), when: isSavedEntry)],
                 traffic: [.getEntry: 3, .listObjects: 2], retried: 0, ending: .failedMiss("the store did not answer")),
            // S3 answers 403 for a missing key to credentials without s3:ListBucket: a lookup takes
            // it as "no entry", once, and the restore moves on to the next place to look.
            Case(name: "exact lookup GET: 403 is no entry", rules: [.always(.getEntry, .accessDenied, when: isSavedEntry)],
                 traffic: [.getEntry: 3, .listObjects: 4], retried: 0, ending: .plainMiss),
        ]

        @Test("(a) a retried fault passes after k failures with k + 1 attempts of that call only", arguments: recovering)
        func recovers(_ scenario: Case) async throws {
            try await run(scenario)
        }

        @Test("(b) a retried fault that never stops gives up after 5 attempts and the job goes on", arguments: givingUp)
        func givesUp(_ scenario: Case) async throws {
            try await run(scenario)
        }

        @Test("(c) a final fault stops after one attempt", arguments: final)
        func stopsAtOnce(_ scenario: Case) async throws {
            try await run(scenario)
        }

        /// fail-on-error turns a cache the store failed into exit status 1; a miss stays a miss
        /// (a lookup's 403, an expire that could not be done).
        @Test("with fail-on-error a call that failed for good fails the job", arguments: givingUp + final)
        func failOnError(_ scenario: Case) async throws {
            try await run(scenario, failOnError: true)
        }

        func run(_ scenario: Case, failOnError: Bool = false) async throws {
            let bucket = try await FaultBucket.make()
            let job = try FaultJob(bucket: bucket)
            try await job.seed(key: "deps-v1")
            if scenario.blobGone { try await job.deleteBlob(of: "deps-v1") }

            let run = try await bucket.withProxy(scenario.rules) { proxy in
                let run = await job.restore(endpoint: proxy.endpoint, key: scenario.key, failOnError: failOnError)
                expectTraffic(proxy, scenario.traffic)
                return run
            }
            #expect(run.waits == PolicyWaits.restore(scenario.retried), "the restore policy's waits, one per retried failure")
            #expect(run.log.components(separatedBy: "retrying in").count - 1 == scenario.retried, "one log line per retry")
            for rule in scenario.rules where scenario.retried > 0 || scenario.ending != .plainMiss {
                #expect(run.log.contains(rule.fault.evidence), "the log shows the fault as \(rule.fault): \(run.log)")
            }

            switch scenario.ending {
            case .hit:
                #expect(run.log.contains("✅ deps: hit on 'deps-v1'"), "\(run.log)")
                #expect(job.restored)
            case .fallbackHit:
                #expect(run.log.contains("✅ deps: fallback hit on 'deps-v1' (wanted 'deps-v2')"), "\(run.log)")
                #expect(job.restored)
            case .expiredMiss, .unexpiredMiss:
                let expired = scenario.ending == .expiredMiss
                #expect(run.log.contains("➖ deps: miss for 'deps-v1': the blob of 'deps-v1' is missing"), "\(run.log)")
                #expect(run.log.contains("Expired the entry 'deps-v1'") == expired, "\(run.log)")
                #expect(run.log.contains("Could not expire the bad entry 'deps-v1'") == !expired, "\(run.log)")
                #expect(!job.restored)
            case .failedMiss(let reason):
                #expect(run.log.contains("⚠️  deps: failed to restore '\(scenario.key)': \(reason)"), "\(run.log)")
                #expect(!job.restored)
            case .plainMiss:
                #expect(run.log.contains("➖ deps: miss for '\(scenario.key)': no entry"), "\(run.log)")
                #expect(!job.restored)
            }
            let failed: Bool
            if case .failedMiss = scenario.ending { failed = true } else { failed = false }
            #expect(run.status == (failed && failOnError ? .cacheFailure : .success))
            if failed && !failOnError {
                #expect(run.log.contains("The job goes on without that cache"), "\(run.log)")
            }
        }
    }
}

extension Dictionary where Key == S3Call, Value == Int {
    /// These counts with `extra` requests added per call.
    func adding(_ extra: [S3Call: Int]) -> [S3Call: Int] { merging(extra, uniquingKeysWith: +) }
}
