import CacheRetry
import Foundation
import Testing
@testable import CacheCore
@testable import CacheS3

extension FaultInjection {
    /// What each refusal of an entry read means: a 403 AccessDenied is S3's way of saying "no such
    /// key" to credentials without s3:ListBucket (a miss); the codes that blame the credentials or
    /// the clock are failures with a hint, sent once.
    @Suite("Refusals that say what they are")
    struct FailureClassification {
        struct Refusal: Sendable, CustomTestStringConvertible {
            let status: Int
            let code: String
            /// Words of the hint; nil: a miss.
            let hint: String?
            var testDescription: String { "\(status) \(code)" }
        }

        static let refusals: [Refusal] = [
            Refusal(status: 403, code: "AccessDenied", hint: nil),
            Refusal(status: 403, code: "InvalidAccessKeyId", hint: "does not know the access key ID"),
            Refusal(status: 403, code: "SignatureDoesNotMatch", hint: "does not match its key ID"),
            Refusal(status: 403, code: "RequestTimeTooSkewed", hint: "clock is more than 15 minutes off"),
            Refusal(status: 400, code: "ExpiredToken", hint: "has expired"),
            Refusal(status: 400, code: "InvalidToken", hint: "malformed"),
        ]

        @Test("an entry read refused with", arguments: refusals)
        func entryRead(_ refusal: Refusal) async throws {
            let bucket = try await FaultBucket.make()
            try await bucket.withProxy([.always(.getEntry, .status(refusal.status, code: refusal.code))]) { proxy in
                let store = try bucket.store(through: proxy)
                let retrier = RecordedRetrier(.restore)
                let read = { try await retrier.retrier.run("look up") { try await store.entry(key: "deps-v1", scope: FaultBucket.scope) } }
                if let hint = refusal.hint {
                    await #expect {
                        try await read()
                    } throws: { error in
                        guard let error = error as? S3Error else { return false }
                        return error.code == refusal.code && error.isCredentialFailure && !error.isRetryable
                            && "\(error)".contains(hint) && (refusal.code == "RequestTimeTooSkewed" || "\(error)".contains("the fault tests"))
                    }
                } else {
                    #expect(try await read() == nil)
                }
                #expect(proxy.count(.getEntry) == 1, "sent once, never retried")
            }
        }

        /// The store URL says us-east-1, the bucket answers from eu-west-2: the request is sent again
        /// there, signed for it, every later request goes there at once, and one warning names the
        /// `region=` to write.
        @Test func aBucketInAnotherRegionIsFollowedOnce() async throws {
            let bucket = try await FaultBucket.make()
            let entry = CacheEntry(key: "deps-v1", digest: String(repeating: "a", count: 64), size: 1, created: Date(),
                                   platform: "linux/amd64", members: ["checkout/deps"], branch: "feature", job: nil)
            try await bucket.direct().commit(entry, scope: FaultBucket.scope)
            try await bucket.withProxy([FaultRule(.getEntry, .wrongRegion("eu-west-2"), times: 1)]) { proxy in
                let captured = CapturedLog()
                let client = S3Client(location: try S3Location(url: bucket.url(endpoint: proxy.endpoint)),
                                      credentials: RefreshingCredentials(FaultBucket.credentials), warn: { captured.log.warning($0) })
                let store = S3Store(client: client, temporaryDirectory: NSTemporaryDirectory())
                #expect(try await store.entry(key: "deps-v1", scope: FaultBucket.scope)?.digest == entry.digest)
                #expect(try await store.entry(key: "deps-v1", scope: FaultBucket.scope)?.digest == entry.digest)
                #expect(proxy.requests.map { $0.signedRegion ?? "none" } == ["us-east-1", "eu-west-2", "eu-west-2"])
                #expect(captured.text.components(separatedBy: "region=eu-west-2").count - 1 == 2, "one warning: \(captured.text)")
                #expect(captured.text.contains("is in eu-west-2, not us-east-1"))
            }
            // A bucket that answers with a redirect again is not chased around.
            try await bucket.withProxy([.always(.getEntry, .wrongRegion("eu-west-2"))]) { proxy in
                let store = try bucket.store(through: proxy)
                await #expect {
                    try await store.entry(key: "deps-v1", scope: FaultBucket.scope)
                } throws: { error in
                    "\(error)".contains("add ?region=eu-west-2")
                }
                #expect(proxy.count(.getEntry) == 2)
            }
        }
    }
}
