import CacheRetry
import CacheS3
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The store for fleets: any S3-compatible bucket (AWS S3, MinIO, R2, GCS interoperability).
///
/// Layout, the file store's under a prefix, so people and `aws s3` can look inside:
///
///     PREFIX/v1/blobs/sha256/ab/abcdef…                 the archives, named by their sha256
///     PREFIX/v1/entries/ORG/PIPELINE/BRANCH/KEY.json    one small document per saved key
///
/// Entries are written only after their blob is complete, as one whole-object PUT, which S3 makes
/// visible atomically: a reader sees the old entry or the new one, never a torn one. The PUT carries
/// `If-None-Match: *`, so when two jobs save one key at once the first commit stays and the second
/// is told (412) that the key is taken, which is what it wanted anyway: the entry a restore may
/// already have read does not change under it. Services without conditional writes get a plain PUT
/// (last writer wins, still whole).
public struct S3Store: CacheStore, CustomStringConvertible, CustomReflectable {
    public let client: S3Client
    /// Where archives are built before upload (and `fetchBlob` puts its copy; a restore streams).
    let temporaryDirectory: String

    /// A fallback lookup reads at most this many entries (the most recently written first): each
    /// is one GET, and a restore is waiting.
    static let maximumCandidates = 20
    /// Keys per ListObjectsV2 page; S3's maximum, smaller in tests that need many pages.
    let listPageSize: Int

    /// Opens `s3://BUCKET/PREFIX?…` with credentials from the AWS default chain (environment, web
    /// identity, profiles, container endpoint, instance metadata), found on the first call.
    ///
    /// - Parameter log: receives one line naming where the credentials came from, and warnings a
    ///   person should act on (the bucket's real region).
    public init(url: String, environment: [String: String], home: String, log: BuildkiteLog? = nil) throws {
        let location = try S3Location(url: url, environment: environment)
        let provider = DefaultCredentialChain.provider(environment: environment, home: home, region: location.region)
        let credentials = RefreshingCredentials(provider, report: { log?.line($0) })
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        self.init(client: S3Client(location: location, credentials: credentials, warn: { log?.warning($0) }),
                  temporaryDirectory: temporary)
    }

    public init(client: S3Client, temporaryDirectory: String, listPageSize: Int = 1000) {
        self.client = client
        self.listPageSize = listPageSize
        self.temporaryDirectory = temporaryDirectory.count > 1 && temporaryDirectory.hasSuffix("/")
            ? String(temporaryDirectory.dropLast()) : temporaryDirectory
    }

    public var displayName: String { client.location.description }
    public var description: String { displayName }
    public var customMirror: Mirror { Mirror(self, children: ["location": displayName]) }

    func blobKey(_ digest: String) -> String {
        client.location.key("v1/blobs/sha256/\(digest.prefix(2))/\(digest)")
    }

    func entriesDirectory(_ scope: StoreScope) -> String {
        client.location.key(["v1", "entries", StoreNameEncoding.encode(scope.organization),
                             StoreNameEncoding.encode(scope.pipeline), StoreNameEncoding.encode(scope.branch)].joined(separator: "/"))
    }

    func entryKey(_ key: String, scope: StoreScope) -> String {
        entriesDirectory(scope) + "/" + StoreNameEncoding.encode(key) + ".json"
    }

    public func entry(key: String, scope: StoreScope) async throws -> CacheEntry? {
        guard let entry = try await readEntry(entryKey(key, scope: scope)), entry.key == key else { return nil }
        return entry
    }

    /// Lists the entries whose encoded names start with the encoded prefix (percent-encoding keeps
    /// prefixes, byte for byte), plus the hashed `sha256-…` names of very long keys, which only
    /// reading them can place; then reads the most recently written candidates and picks the
    /// newest `created`.
    ///
    /// Every LIST page and every candidate GET is one call, retried on its own: a candidate that
    /// fails once is read again without listing again, and a listing follows its continuation
    /// tokens to the end, so no newer entry past the first pages is missed.
    public func newestEntry(prefix: String, scope: StoreScope, retrier: Retrier) async throws -> CacheEntry? {
        let directory = entriesDirectory(scope) + "/"
        var plain: [S3Client.ListedObject] = []
        let encodedPrefix = StoreNameEncoding.percentEncoded(prefix)
        // An encoded prefix longer than any plain name can only match hashed names.
        if encodedPrefix.utf8.count <= StoreNameEncoding.maxLength {
            plain = try await listAll(directory + encodedPrefix, retrier: retrier).filter { object in
                let name = object.key.dropFirst(directory.count)
                guard name.hasSuffix(".json"), !name.hasPrefix("sha256-") else { return false }
                guard let key = StoreNameEncoding.decode(String(name.dropLast(5))) else { return false }
                return key.hasPrefix(prefix)
            }
        }
        let hashed = try await listAll(directory + "sha256-", retrier: retrier).filter { $0.key.hasSuffix(".json") }
        let candidates = Self.mostRecent(plain) + Self.mostRecent(hashed)
        let client = self.client
        let entries = await concurrentMap(candidates, limit: 8) { object -> Result<CacheEntry?, any Error> in
            do {
                let name = object.key.dropFirst(directory.count)
                return .success(try await retrier.run("read the entry \(name)") { try await Self.readEntry(object.key, client: client) })
            } catch {
                return .failure(error)
            }
        }
        var newest: CacheEntry?
        for result in entries {
            guard let entry = try result.get(), entry.key.hasPrefix(prefix) else { continue }
            if newest.map({ entry.created > $0.created }) ?? true { newest = entry }
        }
        return newest
    }

    /// Every key under `prefix`, page by page, each page retried on its own.
    func listAll(_ prefix: String, retrier: Retrier) async throws -> [S3Client.ListedObject] {
        var objects: [S3Client.ListedObject] = []
        var token: String?
        var page = 1
        repeat {
            let current = token
            let listed = try await retrier.run("list \(prefix)*" + (page > 1 ? " (page \(page))" : "")) {
                try await client.listPage(prefix: prefix, continuationToken: current, maxKeys: listPageSize)
            }
            objects += listed.objects
            token = listed.nextToken
            page += 1
        } while token != nil
        return objects
    }

    static func mostRecent(_ objects: [S3Client.ListedObject]) -> [S3Client.ListedObject] {
        Array(objects.sorted { ($0.lastModified ?? .distantPast) > ($1.lastModified ?? .distantPast) }.prefix(maximumCandidates))
    }

    func readEntry(_ objectKey: String) async throws -> CacheEntry? {
        try await Self.readEntry(objectKey, client: client)
    }

    /// nil when there is no entry. S3 answers 403 rather than 404 for a missing key when the
    /// credentials lack s3:ListBucket: that is a miss too, not a failed job. A 403 that blames the
    /// credentials themselves (an unknown key, a bad signature, a skewed clock) is a failure. A document that is
    /// JSON but not an entry of ours (another version) is treated as absent, like the file store;
    /// a body that is not JSON at all (a proxy's HTML page) is a broken answer and is retried.
    static func readEntry(_ objectKey: String, client: S3Client) async throws -> CacheEntry? {
        let bytes: [UInt8]?
        do {
            bytes = try await client.get(objectKey)
        } catch let error as S3Error where error.status == 403 && !error.isCredentialFailure {
            return nil
        }
        guard let bytes else { return nil }
        let data = Data(bytes)
        guard JSONObjectStrings.decode(data) != nil else {
            throw S3Error(operation: "GET entry", bucket: client.location.bucket, key: objectKey,
                          reason: .unreadableBody(status: 200, detail: "\(bytes.count) bytes that are not a JSON object"))
        }
        return CacheEntry.readable(from: data)
    }

    public func fetchBlob(for entry: CacheEntry, retrier: Retrier) async throws -> LocalBlob {
        guard CacheEntry.isValidDigest(entry.digest) else { throw StoreError.badEntry("digest '\(entry.digest)' is not a sha256") }
        let path = temporaryDirectory + "/swift-cache-" + UUID().uuidString + ".blob"
        do {
            try await client.download(blobKey(entry.digest), to: path, retrier: retrier)
        } catch let error as S3Error where error.isNotFound {
            throw StoreError.blobMissing(digest: entry.digest)
        }
        return LocalBlob(path: path, isTemporary: true)
    }

    public func temporaryArchivePath() throws -> String {
        temporaryDirectory + "/swift-cache-" + UUID().uuidString + ".tar.zst"
    }

    public func putBlob(from path: String, digest: String, retrier: Retrier) async throws {
        precondition(CacheEntry.isValidDigest(digest), "blob digests are validated before they reach a store")
        try await client.upload(file: path, to: blobKey(digest), sha256: digest, retrier: retrier)
        unlink(path)
    }

    /// `If-None-Match: *` keeps the first entry of a key. A 412 after a retry may be our own
    /// first attempt, whose answer was lost: an entry with our digest and job counts as ours.
    public func commit(_ entry: CacheEntry, scope: StoreScope) async throws -> CommitOutcome {
        let key = entryKey(entry.key, scope: scope)
        switch try await client.put(key, bytes: Array(try entry.encoded()), contentType: "application/json", onlyIfAbsent: true) {
        case .stored:
            return .committed
        case .alreadyExists:
            if let current = try? await readEntry(key), current.digest == entry.digest, current.job == entry.job {
                return .committed
            }
            return .alreadySaved
        }
    }

    /// Reads the entry first: a save may have replaced the bad entry since we read it, and that
    /// one is not ours to remove. (S3 has no delete-if-unchanged everywhere; the window between
    /// the read and the delete is one round trip.)
    public func expire(_ entry: CacheEntry, scope: StoreScope) async throws {
        let key = entryKey(entry.key, scope: scope)
        guard let current = try await readEntry(key), current.digest == entry.digest else { return }
        try await client.delete(key)
    }
}
