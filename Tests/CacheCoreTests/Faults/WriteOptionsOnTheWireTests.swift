import CacheRetry
import Foundation
import Testing
@testable import CacheCore
@testable import CacheS3

extension FaultInjection {
    /// A save with `sse`, `sse_kms_key_id` and `acl` in the store URL: every request that creates an
    /// object (the entry's PUT, the blob's PUT, CreateMultipartUpload) carries the headers; the
    /// parts of a multipart upload inherit them and carry none.
    @Suite("Encryption and ACL headers on the wire")
    struct WriteOptionsOnTheWire {
        @Test func everyObjectWriteCarriesThem() async throws {
            let bucket = try await FaultBucket.make()
            let expected = ["x-amz-server-side-encryption": "aws:kms",
                            "x-amz-server-side-encryption-aws-kms-key-id": "alias/cache", "x-amz-acl": "bucket-owner-full-control"]
            let partSize = 5 * 1024 * 1024
            try await bucket.withProxy([]) { proxy in
                let url = bucket.url(endpoint: proxy.endpoint) + "&sse=aws:kms&sse_kms_key_id=alias/cache&acl=bucket-owner-full-control"
                let transfer = S3TransferOptions(multipartThreshold: Int64(partSize), partSize: Int64(partSize), concurrency: 2)
                let store = S3Store(client: S3Client(location: try S3Location(url: url), credentials: FaultBucket.credentials,
                                                     transfer: transfer), temporaryDirectory: NSTemporaryDirectory())
                for (name, size) in [("small", 1000), ("big", 2 * partSize + 1)] {
                    let bytes = noise(size)
                    let path = NSTemporaryDirectory() + "write-options-" + UUID().uuidString
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    try await store.putBlob(from: path, digest: SHA256Hex.of(bytes), retrier: RecordedRetrier(.save).retrier)
                    let entry = CacheEntry(key: name, digest: SHA256Hex.of(bytes), size: Int64(size), created: Date(),
                                           platform: "linux/amd64", members: ["checkout/deps"], branch: "feature", job: nil)
                    try await store.commit(entry, scope: FaultBucket.scope)
                }
                let writes = proxy.requests.filter { [.putEntry, .putBlob, .createMultipartUpload].contains($0.call) }
                #expect(writes.count == 4)
                for request in writes { #expect(request.writeHeaders == expected, "\(request)") }
                let parts = proxy.requests.filter { $0.call == .uploadPart }
                #expect(parts.count == 3 && parts.allSatisfy { $0.writeHeaders.isEmpty })
            }
        }
    }
}
