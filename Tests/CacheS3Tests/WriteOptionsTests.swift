import Foundation
import TestSupport
import Testing
@testable import CacheS3

/// `sse`, `sse_kms_key_id` and `acl` in the store URL reach every write, whole or multipart, and
/// moto_server keeps the encryption they asked for. (moto keeps no trace of a same-account canned
/// ACL: the fault proxy's write-options test checks that header on the wire.)
@Suite("Encryption and ownership of what the store writes", .motoServer)
struct WriteOptionsTests {
    @Test func everyWriteCarriesThem() async throws {
        let moto = try #require(MotoServer.current)
        let plain = try await moto.client()
        let url = "s3://\(plain.location.bucket)/cache?endpoint=\(moto.endpoint)&use_path_style=true"
            + "&sse=aws:kms&sse_kms_key_id=alias/swift-cache&acl=bucket-owner-full-control"
        let transfer = S3TransferOptions(multipartThreshold: 5 << 20, partSize: 5 << 20, concurrency: 2)
        let client = S3Client(location: try S3Location(url: url), credentials: .forTests, transfer: transfer)
        let scratch = try ScratchDirectory()
        let small = try scratch.file("small", size: 1000)
        let big = try scratch.file("big", size: 11 << 20, seed: 7)
        _ = try await client.put(client.location.key("entry.json"), bytes: Array("{}".utf8), contentType: "application/json")
        try await client.upload(file: small.path, to: client.location.key("small"), sha256: nil, retrier: .immediate())
        try await client.upload(file: big.path, to: client.location.key("big"), sha256: nil, retrier: .immediate())
        for name in ["entry.json", "small", "big"] {
            let response = try await client.send(S3Request(method: "HEAD", key: client.location.key(name)), operation: "HEAD", key: name)
            #expect(response.headers.first(name: "x-amz-server-side-encryption") == "aws:kms", "\(name)")
            #expect(response.headers.first(name: "x-amz-server-side-encryption-aws-kms-key-id")?.hasSuffix("swift-cache") == true, "\(name)")
        }
    }

    @Test(arguments: [
        ("sse=DES", "sse must be AES256 or aws:kms"),
        ("sse_kms_key_id=k", "needs sse=aws:kms"),
        ("sse=AES256&sse_kms_key_id=k", "needs sse=aws:kms"),
        ("acl=public-read", "acl must be one of"),
    ])
    func badValuesSayWhatIsAllowed(_ query: String, _ expected: String) {
        #expect {
            try S3Location(url: "s3://bucket/p?\(query)")
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func theHeadersOfAWrite() throws {
        let options = try S3WriteOptions(sse: "AES256", acl: "bucket-owner-full-control")
        #expect(options.headers.map(\.name) == ["x-amz-server-side-encryption", "x-amz-acl"])
        #expect(try S3WriteOptions().headers.isEmpty)
    }
}
