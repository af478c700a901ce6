import CacheRetry
import Foundation
import Testing
@testable import CacheCore
@testable import CacheS3

extension FaultInjection {
    /// The fallback lookup's listing, page by page: every page is read (the newest entry may be on
    /// the last), and a page that fails is asked for again alone.
    @Suite("The prefix lookup pages through its listing, one retried call per page")
    struct PrefixLookup {
        /// Five entries, the newest written last and listed last: with two keys a page, it is on
        /// the third page.
        static func seed(_ bucket: FaultBucket) async throws {
            let store = try bucket.direct()
            for index in 1 ... 5 {
                let entry = CacheEntry(key: "deps-\(index)", digest: String(repeating: "\(index)", count: 64), size: 1,
                                       created: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)), platform: "linux/amd64",
                                       members: ["checkout/deps"], branch: "feature", job: nil)
                try await store.commit(entry, scope: FaultBucket.scope)
            }
        }

        @Test func aListingOfThreePagesIsReadToTheEnd() async throws {
            let bucket = try await FaultBucket.make()
            try await Self.seed(bucket)
            try await bucket.withProxy([]) { proxy in
                let store = S3Store(client: try bucket.client(endpoint: proxy.endpoint), temporaryDirectory: NSTemporaryDirectory(),
                                    listPageSize: 2)
                let newest = try await store.newestEntry(prefix: "deps-", scope: FaultBucket.scope, retrier: RecordedRetrier(.restore).retrier)
                #expect(newest?.key == "deps-5")
                let lists = proxy.requests.filter { $0.call == .listObjects && $0.query["prefix"]?.hasSuffix("/deps-") == true }
                #expect(lists.count == 3)
                #expect(lists.map { $0.query["continuation-token"] == nil } == [true, false, false])
                // Plain names in three pages, hashed names in one, then only the candidates' GETs.
                expectTraffic(proxy, [.listObjects: 4, .getEntry: 5])
            }
        }

        @Test func aFailedPageIsAskedForAgainAlone() async throws {
            let bucket = try await FaultBucket.make()
            try await Self.seed(bucket)
            let isSecondPage: @Sendable (SeenRequest) -> Bool = { $0.query["continuation-token"] != nil }
            // The second page (the first with a token) fails twice; the third page has a token too,
            // but the rule has run out by then.
            try await bucket.withProxy([FaultRule(.listObjects, .unavailable, times: 2, when: isSecondPage)]) { proxy in
                let store = S3Store(client: try bucket.client(endpoint: proxy.endpoint), temporaryDirectory: NSTemporaryDirectory(),
                                    listPageSize: 2)
                let retrier = RecordedRetrier(.restore)
                let newest = try await store.newestEntry(prefix: "deps-", scope: FaultBucket.scope, retrier: retrier.retrier)
                #expect(newest?.key == "deps-5")
                let first = proxy.requests.filter { $0.call == .listObjects && $0.query["continuation-token"] == nil
                    && $0.query["prefix"]?.hasSuffix("/deps-") == true }
                #expect(first.count == 1, "the first page is not listed again")
                expectTraffic(proxy, [.listObjects: 4 + 2, .getEntry: 5])
                #expect(retrier.waits == PolicyWaits.restore(2))
                #expect(retrier.lines.all.allSatisfy { $0.contains("(page 2)") }, "\(retrier.lines.all)")
            }
        }
    }
}
