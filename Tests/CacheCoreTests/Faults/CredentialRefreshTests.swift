import CacheRetry
import Foundation
import Synchronization
import Testing
@testable import CacheCore
@testable import CacheS3

extension FaultInjection {
    /// Temporary credentials that run out in the middle of a long upload: the parts after the
    /// refresh point are signed with the next set (the proxy reads the key ID off each request),
    /// and the upload finishes whole.
    @Suite("Credentials refreshed in the middle of a multipart upload")
    struct CredentialRefresh {
        /// Each request asks for credentials once, and every ask moves this clock on by four minutes.
        /// A set is valid for twelve minutes from the moment after the ask that fetched it: fetched
        /// at the first request, it has four minutes left at the fourth (inside the five-minute
        /// margin), which fetches the next set.
        final class SteppingClock: Sendable {
            private let moment = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            var current: Date { moment.withLock { $0 } }
            func tick() -> Date {
                moment.withLock { value in
                    defer { value += 4 * 60 }
                    return value
                }
            }
        }

        final class NumberedCredentials: CredentialProvider {
            let clock: SteppingClock
            let fetches = Mutex(0)

            init(clock: SteppingClock) { self.clock = clock }

            func fetch() async throws -> S3Credentials {
                let number = fetches.withLock { count in
                    count += 1
                    return count
                }
                return S3Credentials(accessKeyID: "ASIAREFRESH\(number)", secretAccessKey: "refresh-secret-\(number)",
                                     sessionToken: "refresh-token-\(number)", expiration: clock.current.addingTimeInterval(12 * 60),
                                     source: "the refresh test")
            }
        }

        @Test func laterPartsAreSignedWithTheRefreshedCredentials() async throws {
            let bucket = try await FaultBucket.make()
            let clock = SteppingClock()
            let provider = NumberedCredentials(clock: clock)
            let credentials = RefreshingCredentials(provider, now: { clock.tick() })
            let partSize = 5 * 1024 * 1024
            let bytes = noise(3 * partSize)
            let digest = SHA256Hex.of(bytes)
            let path = NSTemporaryDirectory() + "refresh-" + UUID().uuidString
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // One part at a time, so the order of the requests (and of the clock's ticks) is fixed.
            let transfer = S3TransferOptions(multipartThreshold: Int64(partSize), partSize: Int64(partSize), concurrency: 1)
            try await bucket.withProxy([]) { proxy in
                let client = S3Client(location: try S3Location(url: bucket.url(endpoint: proxy.endpoint)), credentials: credentials,
                                      transfer: transfer)
                let store = S3Store(client: client, temporaryDirectory: NSTemporaryDirectory())
                try await store.putBlob(from: path, digest: digest, retrier: RecordedRetrier(.save).retrier)
                let signedWith = proxy.requests.map { request in
                    "\(request.call)\(request.partNumber.map { " \($0)" } ?? ""): \(request.accessKeyID ?? "none")"
                }
                #expect(signedWith == [
                    "CreateMultipartUpload: ASIAREFRESH1", "UploadPart 1: ASIAREFRESH1", "UploadPart 2: ASIAREFRESH1",
                    "UploadPart 3: ASIAREFRESH2", "CompleteMultipartUpload: ASIAREFRESH2",
                ])
            }
            #expect(provider.fetches.withLock { $0 } == 2)
            let direct = try bucket.direct()
            let copy = NSTemporaryDirectory() + "refresh-copy-" + UUID().uuidString
            defer { unlink(copy) }
            try await direct.client.download(direct.blobKey(digest), to: copy, retrier: RecordedRetrier(.restore).retrier)
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(bytes))
        }
    }
}
