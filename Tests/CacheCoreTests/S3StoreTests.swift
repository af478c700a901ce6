import CacheArchive
import CacheRetry
import Foundation
import TestSupport
import Testing
@testable import CacheCore
@testable import CacheS3

/// The S3 store against a real S3 server on loopback (moto_server, started once for the suite by
/// Tests/support/moto-server.sh). The tests fail, not skip, when moto_server is missing.
@Suite("The S3 store against moto_server", .motoServer)
struct S3StoreTests {
    let scope = StoreScope(organization: "acme", pipeline: "web", branch: "feature/x")

    var server: MotoServer { get throws { try #require(MotoServer.current) } }

    func entry(_ key: String, digest: String = String(repeating: "a", count: 64), size: Int64 = 1, at seconds: TimeInterval) -> CacheEntry {
        CacheEntry(key: key, digest: digest, size: size, created: Date(timeIntervalSince1970: seconds), platform: "linux/amd64",
                   members: ["checkout/x"], branch: scope.branch, job: "job-1")
    }

    @Test func entriesCommitLookUpAndExpire() async throws {
        let store = try await server.store()
        try await store.commit(entry("npm-linux-aaa", at: 100), scope: scope)
        try await store.commit(entry("npm-linux-bbb", at: 300), scope: scope)
        try await store.commit(entry("npm-linux-ccc", at: 200), scope: scope)
        try await store.commit(entry("npm-darwin-ddd", at: 400), scope: scope)
        #expect(try await store.entry(key: "npm-linux-aaa", scope: scope)?.key == "npm-linux-aaa")
        #expect(try await store.entry(key: "npm-linux", scope: scope) == nil)
        #expect(try await store.newestEntry(prefix: "npm-linux-", scope: scope)?.key == "npm-linux-bbb")
        #expect(try await store.newestEntry(prefix: "pip-", scope: scope) == nil)
        #expect(try await store.entry(key: "npm-linux-aaa", scope: StoreScope(organization: "acme", pipeline: "api", branch: "feature/x")) == nil)

        // Expire leaves an entry that now names another blob alone.
        try await store.expire(entry("npm-linux-aaa", digest: String(repeating: "b", count: 64), at: 0), scope: scope)
        #expect(try await store.entry(key: "npm-linux-aaa", scope: scope) != nil)
        try await store.expire(entry("npm-linux-aaa", at: 0), scope: scope)
        #expect(try await store.entry(key: "npm-linux-aaa", scope: scope) == nil)
        try await store.expire(entry("npm-linux-aaa", at: 0), scope: scope)
    }

    @Test func theLayoutMirrorsTheFileStore() async throws {
        let store = try await server.store()
        let digest = String(repeating: "c", count: 64)
        #expect(store.blobKey(digest) == "team cache/v1/blobs/sha256/cc/" + digest)
        #expect(store.entryKey("k y", scope: scope) == "team cache/v1/entries/acme/web/feature%2Fx/k%20y.json")
        #expect(store.displayName.hasPrefix("s3://test-") && store.displayName.hasSuffix("/team cache"))
    }

    /// Odd characters keep prefixes when percent-encoded; very long keys become `sha256-…` names,
    /// which only reading the entry can place.
    @Test func fallbackPrefixesFindOddAndHashedKeys() async throws {
        let store = try await server.store()
        let odd = "../ü key/with%slashes"
        let long = "long-" + String(repeating: "x", count: 400)
        try await store.commit(entry(odd, at: 1), scope: scope)
        try await store.commit(entry(long, at: 2), scope: scope)
        try await store.commit(entry("long-short", at: 1), scope: scope)
        #expect(try await store.entry(key: long, scope: scope)?.key == long)
        #expect(try await store.newestEntry(prefix: "long-", scope: scope)?.key == long)
        #expect(try await store.newestEntry(prefix: "long-s", scope: scope)?.key == "long-short")
        #expect(try await store.newestEntry(prefix: "long-" + String(repeating: "x", count: 300), scope: scope)?.key == long)
        #expect(try await store.newestEntry(prefix: "../ü", scope: scope)?.key == odd)
        #expect(try await store.newestEntry(prefix: "", scope: scope)?.key == long)
        for text in ["a", "../ü key/with%slashes", ".hidden", "x~y_z-1.2"] {
            #expect(StoreNameEncoding.percentEncoded(text) == StoreNameEncoding.encode(text))
        }
    }

    @Test func blobsRoundTripSmallAndMultipart() async throws {
        let transfer = S3TransferOptions(multipartThreshold: 6 << 20, partSize: 5 << 20, concurrency: 4)
        let store = try await server.store(transfer: transfer)
        for size in [10_000, 11 << 20] {
            let bytes = (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
            let digest = sha256(bytes)
            let path = try store.temporaryArchivePath()
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try await store.putBlob(from: path, digest: digest, retrier: .immediate)
            #expect(!FileManager.default.fileExists(atPath: path), "putBlob takes the file over")
            let blob = try await store.fetchBlob(for: entry("k", digest: digest, size: Int64(size), at: 1), retrier: .immediate)
            defer { unlink(blob.path) }
            #expect(blob.isTemporary)
            #expect(FileManager.default.contents(atPath: blob.path) == Data(bytes))
        }
        let info = try #require(try await store.client.head(store.blobKey(sha256((0 ..< (11 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }))))
        #expect(info.etag?.hasSuffix("-3\"") == true, "the 11 MiB blob went up in three parts")
    }

    @Test func aMissingBlobIsBlobMissing() async throws {
        let store = try await server.store()
        await #expect {
            _ = try await store.fetchBlob(for: entry("k", digest: String(repeating: "d", count: 64), at: 1), retrier: .immediate)
        } throws: { error in
            if case StoreError.blobMissing = error { return true }
            return false
        }
    }

    /// The store hands back whatever bytes are there; checking them against the digest is the
    /// restore's job (it hashes while extracting).
    @Test func aCorruptBlobIsFetchedAsItIs() async throws {
        let store = try await server.store()
        let digest = String(repeating: "e", count: 64)
        _ = try await store.client.put(store.blobKey(digest), bytes: Array("not what the digest says".utf8), contentType: "application/octet-stream")
        let blob = try await store.fetchBlob(for: entry("k", digest: digest, at: 1), retrier: .immediate)
        defer { unlink(blob.path) }
        #expect(FileManager.default.contents(atPath: blob.path) == Data("not what the digest says".utf8))
    }

    /// Two saves of one key at once: both commits succeed (the second finds the key taken) and the
    /// entry is one of them, whole.
    @Test func twoConcurrentSavesOfOneKey() async throws {
        let store = try await server.store()
        let scope = self.scope
        let first = entry("same-key", digest: String(repeating: "1", count: 64), at: 1)
        let second = entry("same-key", digest: String(repeating: "2", count: 64), at: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.commit(first, scope: scope) }
            group.addTask { try await store.commit(second, scope: scope) }
            try await group.waitForAll()
        }
        let stored = try #require(try await store.entry(key: "same-key", scope: scope))
        #expect(stored == first || stored == second)
    }

    @Test func anEntryThatIsNotJSONIsARetryableBrokenAnswer() async throws {
        let store = try await server.store()
        _ = try await store.client.put(store.entryKey("html", scope: scope), bytes: Array("<html>proxy</html>".utf8), contentType: "text/html")
        _ = try await store.client.put(store.entryKey("other", scope: scope), bytes: Array("{\"version\":99}".utf8), contentType: "application/json")
        await #expect {
            _ = try await store.entry(key: "html", scope: scope)
        } throws: { error in
            Retrier.isRetryable(error)
        }
        #expect(try await store.entry(key: "other", scope: scope) == nil)
    }

    /// Opening a store never fails for credentials: they are looked for on the first call, whose
    /// failure is the store's (a warning, the job goes on), and one log line names their source.
    @Test func storeURLsOpenS3AndFindCredentialsOnTheFirstCall() async throws {
        let server = try self.server
        let url = "s3://bucket/prefix?endpoint=\(server.endpoint)"
        let captured = CapturedLog()
        let opened = try StoreLocation.resolve(option: nil, environment: JobEnvironment([
            "BUILDKITE_CACHE_STORE_URL": url, "AWS_ACCESS_KEY_ID": "AKIDX", "AWS_SECRET_ACCESS_KEY": "secretx", "HOME": "/nonexistent",
        ]), log: captured.log)
        #expect(opened.displayName == "s3://bucket/prefix")
        _ = try? await opened.entry(key: "k", scope: scope)
        _ = try? await opened.entry(key: "k", scope: scope)
        #expect(captured.text == "S3 credentials: the environment (AWS_ACCESS_KEY_ID)\n")

        let bare = try StoreLocation.resolve(option: url, environment: JobEnvironment(["HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"]))
        await #expect {
            try await bare.entry(key: "k", scope: scope)
        } throws: { error in
            "\(error)".contains("AWS_ACCESS_KEY_ID") && "\(error)".contains("AWS_PROFILE") && !Retrier.isRetryable(error)
        }
        #expect(throws: StoreError.self) {
            try StoreLocation.resolve(option: "s3://bucket?bogus=1", environment: JobEnvironment(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]))
        }
    }

    /// What the store writes is an ordinary object: `aws s3 cp … - | zstd -dc | tar -t` lists the
    /// archive's files.
    @Test func blobsAreReadableWithStandardTools() async throws {
        guard let aws = MotoServer.which("aws"), let zstd = MotoServer.which("zstd") else {
            Issue.record("the aws CLI or zstd is not on PATH; this check of interoperability needs both")
            return
        }
        let server = try self.server
        let store = try await server.store()
        let scratch = try Scratch()
        try scratch.write("tree/a.txt", "hello")
        try scratch.write("tree/sub/b.txt", "world")
        let archive = try store.temporaryArchivePath()
        let report = try ArchiveWriter.write(sources: [ArchiveSource(name: "checkout/tree", path: scratch.path + "/tree")], to: archive)
        try await store.putBlob(from: archive, digest: report.sha256, retrier: .immediate)

        let url = "s3://\(store.client.location.bucket)/\(store.blobKey(report.sha256))"
        let shell = "'\(aws)' s3 cp '\(url)' - --endpoint-url \(server.endpoint) | '\(zstd)' -dc | tar -t"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-o", "pipefail", "-c", shell]
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "testing"
        environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let listing = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(listing.contains("checkout/tree/a.txt"))
        #expect(listing.contains("checkout/tree/sub/b.txt"))
    }

    func sha256(_ bytes: [UInt8]) -> String { SHA256Hex.of(bytes) }
}

extension MotoServer {
    /// A store on a new, empty bucket, under a prefix with a space (it must survive signing).
    func store(transfer: S3TransferOptions? = nil) async throws -> S3Store {
        let bucket = "test-" + UUID().uuidString.lowercased()
        let location = try S3Location(url: "s3://\(bucket)/team%20cache?endpoint=\(endpoint)&region=us-east-1")
        let credentials = S3Credentials(accessKeyID: "AKIDSTORETEST", secretAccessKey: "store/secret/key", source: "the tests")
        let client = S3Client(location: location, credentials: credentials, transfer: transfer)
        let response = try await client.send(S3Request(method: "PUT", key: nil), operation: "CreateBucket", key: nil)
        try await client.check(response, operation: "CreateBucket", key: nil, action: "s3:CreateBucket")
        return S3Store(client: client, temporaryDirectory: NSTemporaryDirectory())
    }
}
