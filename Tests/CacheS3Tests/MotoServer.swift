import Foundation
import TestSupport
@testable import CacheS3

extension MotoServer {
    /// A client for a new, empty bucket of its own, so tests running in parallel never meet.
    func client(prefix: String = "cache", transfer: S3TransferOptions? = nil,
                credentials: S3Credentials = .forTests) async throws -> S3Client {
        let bucket = "test-" + UUID().uuidString.lowercased()
        let location = try S3Location(url: "s3://\(bucket)/\(prefix)?endpoint=\(endpoint)&use_path_style=true&region=us-east-1")
        let client = S3Client(location: location, credentials: credentials, transfer: transfer)
        try await client.createBucketForTests()
        return client
    }
}

extension S3Client {
    func createBucketForTests() async throws {
        let response = try await send(S3Request(method: "PUT", key: nil), operation: "CreateBucket", key: nil)
        try await check(response, operation: "CreateBucket", key: nil, action: "s3:CreateBucket")
        _ = try await response.body.collect(upTo: 1 << 20)
    }
}

extension S3Credentials {
    /// Distinctive values, so a test can prove none of them is ever printed.
    static let forTests = S3Credentials(accessKeyID: "AKIDSWIFTCACHETEST01", secretAccessKey: "sEcReT/swift+cache/TEST/KEY/0123456789",
                                        sessionToken: "TOKEN-swiftcache-session-abcdefghijklmnop", source: "the tests")
}
