import CacheRetry
import Foundation
import TestSupport
import Testing
@testable import CacheS3

@Suite("The S3 client against moto_server", .motoServer)
struct S3ClientTests {
    var server: MotoServer { get throws { try #require(MotoServer.current) } }

    @Test func smallObjectsRoundTrip() async throws {
        let client = try await server.client()
        let key = client.location.key("dir/some key+plus&amp ü.json")
        #expect(try await client.get(key) == nil)
        #expect(try await client.head(key) == nil)
        #expect(try await client.put(key, bytes: Array("{\"a\":1}".utf8), contentType: "application/json") == .stored)
        #expect(try await client.get(key) == Array("{\"a\":1}".utf8))
        #expect(try await client.head(key)?.size == 7)
        let listed = try await client.list(prefix: client.location.key("dir/"))
        #expect(listed.objects.map(\.key) == [key])
        #expect(listed.objects.first?.lastModified != nil)
        try await client.delete(key)
        try await client.delete(key)
        #expect(try await client.get(key) == nil)
    }

    @Test func aConditionalPutKeepsTheFirstWriter() async throws {
        let client = try await server.client()
        let key = client.location.key("entry.json")
        #expect(try await client.put(key, bytes: Array("first".utf8), contentType: "application/json", onlyIfAbsent: true) == .stored)
        #expect(try await client.put(key, bytes: Array("second".utf8), contentType: "application/json", onlyIfAbsent: true) == .alreadyExists)
        #expect(try await client.get(key) == Array("first".utf8))
    }

    @Test func listingsFollowContinuationTokens() async throws {
        let client = try await server.client()
        for index in 0 ..< 5 {
            _ = try await client.put(client.location.key("l/\(index)"), bytes: [UInt8(index)], contentType: "application/octet-stream")
        }
        var keys: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await client.listPage(prefix: client.location.key("l/"), continuationToken: token, maxKeys: 2)
            keys += page.objects.map(\.key)
            token = page.nextToken
            pages += 1
        } while token != nil
        #expect(pages == 3)
        #expect(keys == (0 ..< 5).map { client.location.key("l/\($0)") })
        let limited = try await client.list(prefix: client.location.key("l/"), limit: 3)
        #expect(limited.objects.count == 3)
        #expect(limited.truncated)
    }

    /// 11 MiB with 5 MiB parts: three parts up (the ETag of a multipart object ends in "-3"), three
    /// ranges down, the bytes identical.
    @Test func bigBlobsGoUpInPartsAndComeDownInRanges() async throws {
        let transfer = S3TransferOptions(multipartThreshold: 6 << 20, partSize: 5 << 20, concurrency: 3)
        let client = try await server.client(transfer: transfer)
        let scratch = try ScratchDirectory()
        let (path, bytes) = try scratch.file("big", size: 11 << 20)
        let key = client.location.key("blobs/big")
        try await client.upload(file: path, to: key, sha256: sha256Hex(bytes), retrier: .immediate())
        let info = try #require(try await client.head(key))
        #expect(info.size == Int64(bytes.count))
        #expect(info.etag?.hasSuffix("-3\"") == true)

        let downloaded = scratch.path + "/down"
        let size = try await client.download(key, to: downloaded, retrier: .immediate())
        #expect(size == Int64(bytes.count))
        #expect(FileManager.default.contents(atPath: downloaded) == Data(bytes))
        #expect(try await openUploads(client).isEmpty)
    }

    @Test func smallBlobsAreOnePutAndOneGet() async throws {
        let client = try await server.client()
        let scratch = try ScratchDirectory()
        let (path, bytes) = try scratch.file("small", size: 300_000)
        let key = client.location.key("blobs/small")
        try await client.upload(file: path, to: key, sha256: nil, retrier: .immediate())
        #expect(try await client.head(key)?.etag?.contains("-") == false)
        try await client.download(key, to: scratch.path + "/down", retrier: .immediate())
        #expect(FileManager.default.contents(atPath: scratch.path + "/down") == Data(bytes))
    }

    @Test func anEmptyBlobRoundTrips() async throws {
        let client = try await server.client()
        let scratch = try ScratchDirectory()
        let (path, _) = try scratch.file("empty", size: 0)
        try await client.upload(file: path, to: "e", sha256: nil, retrier: .immediate())
        #expect(try await client.download("e", to: scratch.path + "/down", retrier: .immediate()) == 0)
    }

    @Test func aMissingObjectIsNotFoundAndLeavesNoFile() async throws {
        let client = try await server.client()
        let scratch = try ScratchDirectory()
        let target = scratch.path + "/down"
        await #expect {
            try await client.download(client.location.key("nope"), to: target, retrier: .immediate())
        } throws: { error in
            (error as? S3Error)?.isNotFound == true && (error as? S3Error)?.isRetryable == false
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Parts under 5 MiB (possible only through the internal setter) make the service refuse the
    /// completion: the upload must then be aborted, not left to be billed.
    @Test func aMultipartUploadThatFailsIsAborted() async throws {
        var transfer = S3TransferOptions()
        transfer.partSize = 1 << 20
        transfer.multipartThreshold = 1 << 20
        let client = try await server.client(transfer: transfer)
        let scratch = try ScratchDirectory()
        let (path, _) = try scratch.file("parts", size: 3 << 20)
        await #expect {
            try await client.upload(file: path, to: "refused", sha256: nil, retrier: .immediate())
        } throws: { error in
            (error as? S3Error)?.operation == "CompleteMultipartUpload" && "\(error)".contains("EntityTooSmall")
        }
        #expect(try await openUploads(client).isEmpty)
        #expect(try await client.head("refused") == nil)
    }

    @Test func aMissingBucketIsAFinalErrorThatSaysWhatToCheck() async throws {
        let server = try self.server
        let location = try S3Location(url: "s3://no-such-bucket-here/p?endpoint=\(server.endpoint)")
        let client = S3Client(location: location, credentials: .forTests)
        await #expect {
            _ = try await client.put("p/k", bytes: [1], contentType: "application/octet-stream")
        } throws: { error in
            guard let error = error as? S3Error else { return false }
            let text = error.description
            return !error.isRetryable && text.contains("PUT object") && text.contains("s3://no-such-bucket-here/p/k")
                && text.contains("404") && text.contains("NoSuchBucket") && text.contains("check the bucket name")
        }
    }

    /// Every text a person may see (errors of every kind, the client, the credentials) is free of
    /// the key id, the secret, the session token and any signature.
    @Test func noSecretInAnyDescription() async throws {
        let server = try self.server
        let client = try await server.client()
        var texts: [String] = [String(describing: client), String(reflecting: client)]
        var dumped = ""
        dump(client, to: &dumped)
        texts.append(dumped)
        let missing = try S3Client(location: S3Location(url: "s3://no-such-bucket-here/p?endpoint=\(server.endpoint)"), credentials: .forTests)
        let refused = try S3Client(location: S3Location(url: "s3://bucket/p?endpoint=http://127.0.0.1:\(MotoServer.freePort())"),
                                   credentials: .forTests)
        for attempt in [
            { _ = try await missing.get("p/k") },
            { _ = try await missing.list(prefix: "p/") },
            { _ = try await refused.get("p/k") },
        ] as [@Sendable () async throws -> Void] {
            do {
                try await attempt()
                Issue.record("expected a failure")
            } catch {
                texts += ["\(error)", String(reflecting: error), error.localizedDescription]
            }
        }
        #expect(texts.contains { $0.contains("Connection refused") || $0.contains("connection") || $0.contains("refused") })
        for text in texts {
            for secret in S3Credentials.forTests.secretValues { #expect(!text.contains(secret), "\(text)") }
            #expect(!text.contains("Signature="))
            #expect(!text.contains("Authorization"))
            #expect(!text.lowercased().contains("x-amz-security-token"))
        }
    }

    @Test func aRefusedConnectionIsRetryable() async throws {
        let client = try S3Client(location: S3Location(url: "s3://bucket/p?endpoint=http://127.0.0.1:\(MotoServer.freePort())"),
                                  credentials: .forTests)
        await #expect {
            _ = try await client.get("p/k")
        } throws: { error in
            (error as? S3Error)?.isRetryable == true && Retrier.isRetryable(error)
        }
    }

    /// ListMultipartUploads, for checking that nothing is left dangling.
    func openUploads(_ client: S3Client) async throws -> [String] {
        let response = try await client.send(S3Request(method: "GET", key: nil, query: [("uploads", "")]), operation: "ListMultipartUploads", key: nil)
        try await client.check(response, operation: "ListMultipartUploads", key: nil, action: "s3:ListBucketMultipartUploads")
        let root = try await client.readXML(response, operation: "ListMultipartUploads", key: nil, expecting: "ListMultipartUploadsResult")
        return root.all("Upload").compactMap { $0.value("UploadId") }
    }
}
