import CacheRetry
import Foundation
import Testing
@testable import CacheCore
@testable import CacheS3

/// A restore from S3 extracts the blob as its ranges arrive. The cache holds 300 kB of random
/// bytes (zstd cannot shrink them), so its blob is five 64 KiB ranges; the restore reads them
/// through the fault proxy with `Restorer` under the restore policy.
extension FaultInjection {
    @Suite("A restore from S3 streams the blob's ranges into the extraction")
    struct StreamedRestore {
        static let rangeSize = Int64(TransferCalls.downloadPartSize)

        /// Any request for bytes of range `n` (1-based), from its start or resumed part-way.
        static func within(_ n: Int) -> @Sendable (SeenRequest) -> Bool {
            { request in request.rangeStart.map { ($0 / rangeSize) == Int64(n - 1) } ?? false }
        }

        /// A job whose cache `deps-v1` is saved, and a tree of another, older content in its place.
        static func seededJob() async throws -> FaultJob {
            let job = try FaultJob(bucket: try await FaultBucket.make())
            try Data(noise(300_000, seed: 11)).write(to: URL(fileURLWithPath: job.scratch.path + "/checkout/deps/noise.bin"))
            try await job.seed(key: "deps-v1")
            try job.scratch.write("checkout/deps/old.txt", "the tree before the restore")
            return job
        }

        struct Restored {
            let result: RestoreResult
            let waits: [Duration]
            let retries: [String]
        }

        static func restore(_ job: FaultJob, through proxy: FaultProxy,
                            transfer: S3TransferOptions = TransferCalls.downloadTransfer(concurrency: 3)) async throws -> Restored {
            let environment = job.environment(endpoint: proxy.endpoint, key: "deps-v1", failOnError: false)
            let configuration = try #require(try ConfigurationLoader.load(environment))
            let caches = try ResolvedCache.resolveAll(configuration, environment: environment)
            let store = try job.bucket.store(through: proxy, transfer: transfer)
            let recorded = RecordedRetrier(.restore)
            let context = JobContext(environment: environment, store: store, log: CapturedLog().log, retrier: recorded.retrier)
            let result = await Restorer(context: context, mayWrite: true).restore(caches[0])
            return Restored(result: result, waits: recorded.waits, retries: recorded.lines.all)
        }

        /// The old tree, untouched, and no staging tree left beside it.
        static func expectOldTree(_ job: FaultJob, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(job.scratch.read("checkout/deps/old.txt") == "the tree before the restore", sourceLocation: sourceLocation)
            #expect(!job.restored, sourceLocation: sourceLocation)
            let names = try FileManager.default.contentsOfDirectory(atPath: job.scratch.path + "/checkout")
            #expect(!names.contains { $0.hasPrefix(TargetSwap.stagingPrefix) }, "staging trees left: \(names)", sourceLocation: sourceLocation)
        }

        @Test func aRangeCutMidWayIsResumedWhereItWasCut() async throws {
            let job = try await Self.seededJob()
            let (restored, requests) = try await job.bucket.withProxy([FaultRule(.getBlobRange, .cutBody, times: 1, when: Self.within(2))]) { proxy in
                (try await Self.restore(job, through: proxy), proxy.requests)
            }
            #expect(restored.result.outcome == .exact(matchedKey: "deps-v1"), "\(restored.result.outcome)")
            #expect(job.restored)
            #expect(FileManager.default.contents(atPath: job.scratch.path + "/checkout/deps/noise.bin") == Data(noise(300_000, seed: 11)))
            #expect(job.scratch.read("checkout/deps/old.txt") == nil, "the restored tree replaced the old one whole")

            // The proxy sent half of range 2's 64 KiB before it closed (the client may get less of
            // it): the retry asked for the rest only, from the first byte not received.
            let range2 = requests.filter { $0.call == .getBlobRange && Self.within(2)($0) }.compactMap(\.rangeStart)
            #expect(range2.count == 2 && range2[0] == Self.rangeSize, "range 2's requests start at \(range2)")
            #expect(range2.count == 2 && range2[1] > Self.rangeSize && range2[1] <= Self.rangeSize + Self.rangeSize / 2,
                    "the retry resumed part-way: \(range2)")
            let blob = requests.filter { $0.call == .getBlobRange }
            #expect(blob.count == 5 + 1, "five ranges and one resumption: \(blob)")
            #expect(!requests.contains { $0.call == .getBlob }, "a blob of several ranges is never one plain GET")
            #expect(restored.waits == PolicyWaits.restore(1))
            #expect(restored.retries.count == 1 && restored.retries[0].contains("download part 2/5"), "\(restored.retries)")
        }

        /// The default: the blob is one GET. Cut seven times, more than the restore policy's five
        /// attempts, it still finishes, because it got further each time (fresh attempts once a set
        /// is spent with progress; the test counts any progress, the default 64 MiB).
        @Test func aGETCutMoreTimesThanItsAttemptsFinishesWhileItGetsFurther() async throws {
            let job = try await Self.seededJob()
            var transfer = S3TransferOptions()
            transfer.freshRetriesAfter = 1
            let rules = [FaultRule(.getBlob, .cutBody, times: 1), FaultRule(.getBlobRange, .cutBody, times: 6)]
            let (restored, requests) = try await job.bucket.withProxy(rules) { proxy in
                (try await Self.restore(job, through: proxy, transfer: transfer), proxy.requests)
            }
            #expect(restored.result.outcome == .exact(matchedKey: "deps-v1"), "\(restored.result.outcome)")
            #expect(FileManager.default.contents(atPath: job.scratch.path + "/checkout/deps/noise.bin") == Data(noise(300_000, seed: 11)))
            #expect(requests.filter { $0.call == .getBlob }.count == 1, "one plain GET, then the rest as ranges")
            #expect(requests.filter { $0.call == .getBlobRange }.count == 7, "six cut resumptions and the last one")
            #expect(restored.retries.contains { $0.contains("so it starts again with 5 fresh attempts") }, "\(restored.retries)")
        }

        @Test func aRangeThatKeepsFailingFailsTheRestoreAndLeavesTheOldTree() async throws {
            let job = try await Self.seededJob()
            let (restored, requests) = try await job.bucket.withProxy([.always(.getBlobRange, .internalError, when: Self.within(2))]) { proxy in
                (try await Self.restore(job, through: proxy), proxy.requests)
            }
            guard case .failed(let reason) = restored.result.outcome else {
                Issue.record("expected a failed restore, got \(restored.result.outcome)")
                return
            }
            #expect(reason.contains("could not fetch the blob of 'deps-v1'") && reason.contains("HTTP 500"), "\(reason)")
            #expect(requests.filter { $0.call == .getBlobRange && Self.within(2)($0) }.count == 5, "range 2 tried five times")
            #expect(restored.waits == PolicyWaits.restore(4))
            try Self.expectOldTree(job)
        }

        /// The blob under the entry's digest holds another (valid) archive: it is extracted as it
        /// streams, then its digest does not match, and the staging tree goes, not the old one.
        @Test func aDigestMismatchDiscardsTheStagingTree() async throws {
            let job = try await Self.seededJob()
            let direct = try job.bucket.direct()
            let entry = try #require(try await direct.entry(key: "deps-v1", scope: FaultBucket.scope))
            try Data(noise(200_000, seed: 12)).write(to: URL(fileURLWithPath: job.scratch.path + "/checkout/deps/noise.bin"))
            try job.scratch.write("checkout/deps/a.txt", "another alpha")
            try job.scratch.write("checkout/deps/sub/b.txt", "another beta")
            try await job.seed(key: "deps-other")
            try job.scratch.write("checkout/deps/old.txt", "the tree before the restore")
            let other = try #require(try await direct.entry(key: "deps-other", scope: FaultBucket.scope))
            let otherBytes = try #require(try await direct.client.get(direct.blobKey(other.digest)))
            _ = try await direct.client.put(direct.blobKey(entry.digest), bytes: otherBytes, contentType: "application/octet-stream")

            let restored = try await job.bucket.withProxy([]) { proxy in try await Self.restore(job, through: proxy) }
            guard case .miss(let reason) = restored.result.outcome else {
                Issue.record("expected a miss, got \(restored.result.outcome)")
                return
            }
            #expect(reason.contains("the blob of 'deps-v1' is corrupt (sha256 \(other.digest.prefix(12))"), "\(reason)")
            try Self.expectOldTree(job)
            #expect(try await direct.entry(key: "deps-v1", scope: FaultBucket.scope) == nil, "the bad entry was expired")
        }
    }
}
