import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import Synchronization

/// Talks to one bucket of an S3-compatible service: one method per S3 call, each a single request
/// that the caller may retry as a whole (`upload` and `download` take the retrier themselves,
/// because they make many calls and retry each on its own).
///
/// Object keys are full keys (with the store's prefix): `location.key("v1/…")` builds them.
public struct S3Client: Sendable, CustomStringConvertible, CustomReflectable {
    public let location: S3Location
    public var transfer: S3TransferOptions
    /// Asked for every request, so temporary credentials that were refreshed since the last one
    /// sign the next (a long multipart upload outlives a set).
    public let credentials: RefreshingCredentials
    let http: HTTPClient
    /// Decides the `x-amz-date` of each request; injected by tests, the wall clock otherwise.
    let now: @Sendable () -> Date
    /// The bucket's region once S3 has named another one; shared by every copy of this client.
    let redirect = RegionRedirect()
    /// Warnings a person should act on (a store URL with the wrong region).
    let warn: @Sendable (String) -> Void

    /// Largest body read into memory: entries and XML answers are a few kilobytes.
    static let maximumDocumentSize = 4 * 1024 * 1024

    /// - Parameter transfer: part sizes and parallelism; the URL's (or the defaults) when nil.
    /// - Parameter warn: receives warnings a person should act on, such as the bucket's real region.
    public init(location: S3Location, credentials: RefreshingCredentials, transfer: S3TransferOptions? = nil,
                http: HTTPClient = S3HTTPClient.shared, now: @escaping @Sendable () -> Date = Date.init,
                warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.location = location
        self.transfer = transfer ?? location.transfer
        self.credentials = credentials
        self.http = http
        self.now = now
        self.warn = warn
    }

    /// With fixed keys.
    public init(location: S3Location, credentials: S3Credentials, transfer: S3TransferOptions? = nil,
                http: HTTPClient = S3HTTPClient.shared, now: @escaping @Sendable () -> Date = Date.init) {
        self.init(location: location, credentials: RefreshingCredentials(credentials), transfer: transfer, http: http, now: now)
    }

    public var description: String { "\(location) (\(location.region), \(credentials.sourceDescription))" }
    public var customMirror: Mirror { Mirror(self, children: ["location": location.description]) }

    // MARK: - Single calls

    public struct ObjectInfo: Sendable, Equatable {
        public let size: Int64
        public let etag: String?
    }

    /// The object's size, or nil when there is none (404).
    public func head(_ key: String) async throws -> ObjectInfo? {
        let operation = "HEAD object"
        let response = try await send(S3Request(method: "HEAD", key: key), operation: operation, key: key)
        if response.status == .notFound { return nil }
        try await check(response, operation: operation, key: key, action: "s3:GetObject")
        // A HEAD has no body to fail decoding, so a proxy's HTML page with 200 would pass for the
        // object and its page size for the object's: say so here, where a retry can fix it, not in
        // every GET that then finds the wrong number of bytes. The store never writes text/html.
        if let type = response.headers.first(name: "content-type"), type.lowercased().hasPrefix("text/html") {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: "a text/html page instead of the object's headers"))
        }
        guard let size = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: "no Content-Length"))
        }
        return ObjectInfo(size: size, etag: response.headers.first(name: "etag"))
    }

    /// A small object's bytes, or nil when there is none (404).
    public func get(_ key: String) async throws -> [UInt8]? {
        let operation = "GET object"
        let response = try await send(S3Request(method: "GET", key: key), operation: operation, key: key)
        if response.status == .notFound {
            // A missing bucket is a broken store URL, not a missing object.
            do {
                try await check(response, operation: operation, key: key, action: "s3:GetObject")
            } catch let error as S3Error where error.isNotFound && error.code != "NoSuchBucket" {
                return nil
            }
        }
        try await check(response, operation: operation, key: key, action: "s3:GetObject")
        return try await readBody(response, operation: operation, key: key)
    }

    public enum PutOutcome: Sendable, Equatable {
        case stored
        /// `onlyIfAbsent` and the key already had an object: nothing was written.
        case alreadyExists
    }

    /// Writes a small object whole.
    ///
    /// With `onlyIfAbsent`, the PUT carries `If-None-Match: *`: the service writes only if the key
    /// is free and answers 412 otherwise. Services that do not know the condition (501, or 400
    /// NotImplemented) get a plain PUT instead.
    public func put(_ key: String, bytes: [UInt8], contentType: String, onlyIfAbsent: Bool = false) async throws -> PutOutcome {
        let operation = onlyIfAbsent ? "PUT object (if absent)" : "PUT object"
        var request = S3Request(method: "PUT", key: key, body: .bytes(bytes), payloadHash: SHA256Hex.of(bytes))
        request.headers.append(("content-type", contentType))
        request.headers += location.writeOptions.headers
        if onlyIfAbsent { request.headers.append(("if-none-match", "*")) }
        let response = try await send(request, operation: operation, key: key)
        if onlyIfAbsent && response.status == .preconditionFailed {
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return .alreadyExists
        }
        do {
            try await check(response, operation: operation, key: key, action: "s3:PutObject")
        } catch let error as S3Error where onlyIfAbsent && (error.status == 501 || error.code == "NotImplemented") {
            return try await put(key, bytes: bytes, contentType: contentType, onlyIfAbsent: false)
        }
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return .stored
    }

    /// Removes an object; a key that is already gone is fine (S3 answers 204 either way).
    public func delete(_ key: String) async throws {
        let operation = "DELETE object"
        let response = try await send(S3Request(method: "DELETE", key: key), operation: operation, key: key)
        if response.status == .notFound { return }
        try await check(response, operation: operation, key: key, action: "s3:DeleteObject")
        _ = try? await response.body.collect(upTo: 64 * 1024)
    }

    public struct ListedObject: Sendable, Equatable {
        public let key: String
        public let size: Int64
        public let lastModified: Date?
    }

    /// One page of a listing: up to `maxKeys` keys, and the token for the next page while there is one.
    public struct ListPage: Sendable, Equatable {
        public let objects: [ListedObject]
        public let nextToken: String?
    }

    /// Every key under `prefix` (ListObjectsV2, following continuation tokens), up to `limit`.
    /// Not retried; a caller that retries should page with `listPage` and retry each page on its own.
    /// - Returns: the keys and whether the listing stopped at the limit with more left.
    public func list(prefix: String, limit: Int = 10_000) async throws -> (objects: [ListedObject], truncated: Bool) {
        var objects: [ListedObject] = []
        var token: String?
        repeat {
            let page = try await listPage(prefix: prefix, continuationToken: token, maxKeys: Swift.min(1000, limit - objects.count))
            objects += page.objects
            token = page.nextToken
        } while token != nil && objects.count < limit
        return (objects, token != nil)
    }

    /// One ListObjectsV2 call: a single request, safe to repeat.
    public func listPage(prefix: String, continuationToken: String?, maxKeys: Int = 1000) async throws -> ListPage {
        let operation = "ListObjectsV2"
        var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let request = S3Request(method: "GET", key: nil, query: query)
        let response = try await send(request, operation: operation, key: prefix + "*")
        try await check(response, operation: operation, key: prefix + "*", action: "s3:ListBucket")
        let root = try await readXML(response, operation: operation, key: prefix + "*", expecting: "ListBucketResult")
        let objects = root.all("Contents").compactMap { node -> ListedObject? in
            guard let key = node.value("Key") else { return nil }
            return ListedObject(key: key, size: node.value("Size").flatMap(Int64.init) ?? 0,
                                lastModified: node.value("LastModified").flatMap(S3Timestamp.parse))
        }
        let truncated = root.value("IsTruncated") == "true"
        let next = truncated ? root.value("NextContinuationToken") : nil
        if truncated && (next ?? "").isEmpty {
            throw S3Error(operation: operation, bucket: location.bucket, key: prefix + "*",
                          reason: .unreadableBody(status: Int(response.status.code), detail: "a truncated listing without NextContinuationToken"))
        }
        return ListPage(objects: objects, nextToken: next)
    }

    // MARK: - Sending

    /// Signs and sends one request; any failure to get an answer becomes a (retryable) `S3Error`.
    ///
    /// A bucket in another region than the URL says is followed once: S3 answers the first request
    /// with a redirect (301, or 400 for a signature in the wrong region) that names the bucket's
    /// region in `x-amz-bucket-region`; the request is sent again there, every later one goes there
    /// at once, and a warning names the `region=` to put in the store URL.
    func send(_ request: S3Request, operation: String, key: String?, deadline: TimeAmount = .minutes(30)) async throws -> HTTPClientResponse {
        let target = redirect.location ?? location
        let response = try await send(request, to: target, operation: operation, key: key, deadline: deadline)
        let status = Int(response.status.code)
        // Only from the URL's own region: a bucket that redirects again is not chased around.
        guard target == location, [301, 307, 400].contains(status),
              let region = response.headers.first(name: "x-amz-bucket-region"), region != target.region, !region.isEmpty,
              region.utf8.allSatisfy({ URIEncoding.isUnreserved($0) }) else {
            return response
        }
        _ = try? await response.body.collect(upTo: 64 * 1024)
        if redirect.follow(target.inRegion(region)) {
            warn("the bucket \(location.bucket) is in \(region), not \(target.region): add region=\(region) to the store URL "
                + "(s3://\(location.bucket)\(location.prefix.isEmpty ? "" : "/" + location.prefix)?region=\(region)); "
                + "until then every job asks twice")
        }
        return try await send(request, to: redirect.location ?? target.inRegion(region), operation: operation, key: key,
                              deadline: deadline)
    }

    private func send(_ request: S3Request, to location: S3Location, operation: String, key: String?,
                      deadline: TimeAmount) async throws -> HTTPClientResponse {
        let path = location.path(forKey: request.key)
        let credentials = try await self.credentials.current()
        let signer = SigV4Signer(credentials: credentials, region: location.region)
        var headers: [(name: String, value: String)] = [("host", location.hostHeader)]
        let date = now()
        headers.append(("x-amz-date", SigV4Signer.dateStamps(date).timestamp))
        headers.append(("x-amz-content-sha256", request.payloadHash))
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += request.headers
        let signature = signer.sign(
            SigV4Signer.Request(method: request.method, path: path, query: request.query, headers: headers,
                                payloadHash: request.payloadHash),
            at: date)

        var query = request.query.map { "\(URIEncoding.encode($0.name))=\(URIEncoding.encode($0.value))" }.joined(separator: "&")
        if !query.isEmpty { query = "?" + query }
        let portPart = location.port.map { ":\($0)" } ?? ""
        let host = location.usePathStyle ? location.host : "\(location.bucket).\(location.host)"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        var http = HTTPClientRequest(url: "\(location.scheme)://\(bracketed)\(portPart)\(URIEncoding.encodePath(path))\(query)")
        http.method = .init(rawValue: request.method)
        for (name, value) in headers where name != "host" { http.headers.add(name: name, value: value) }
        http.headers.replaceOrAdd(name: "Host", value: location.hostHeader)
        http.headers.add(name: "Authorization", value: signature.authorization)
        switch request.body {
        case .none:
            break
        case .bytes(let bytes):
            http.body = .bytes(ByteBuffer(bytes: bytes))
        case .file(let range):
            http.body = .stream(range, length: .known(range.length))
        }
        do {
            return try await self.http.execute(http, timeout: deadline)
        } catch let error as S3Error {
            throw error
        } catch let error as LocalFileError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            let failure = S3Error.transport(error, operation: operation, bucket: location.bucket, key: key)
            throw scrubbed(failure)
        }
    }

    /// Throws the service's error for a status other than 2xx, with S3's Code and Message.
    func check(_ response: HTTPClientResponse, operation: String, key: String?, action: String) async throws {
        let status = Int(response.status.code)
        guard !(200...299).contains(status) else { return }
        var bytes: [UInt8] = []
        do {
            let buffer = try await response.body.collect(upTo: 64 * 1024)
            bytes = Array(buffer.readableBytesView)
        } catch {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: status, detail: scrub("\(error)")))
        }
        var code: String?
        var message: String?
        if !bytes.isEmpty {
            guard let root = try? S3XMLNode.parse(bytes), root.name == "Error" else {
                throw S3Error(operation: operation, bucket: location.bucket, key: key,
                              reason: .unreadableBody(status: status, detail: "expected an S3 XML error, got \(Self.sniff(bytes, response))"))
            }
            code = root.value("Code")
            message = root.value("Message")
        }
        throw failure(status: status, code: code, message: message, response: response, operation: operation, key: key, action: action)
    }

    func failure(status: Int, code: String?, message: String?, response: HTTPClientResponse, operation: String, key: String?, action: String) -> S3Error {
        let hint = S3Error.hint(status: status, code: code, regionHeader: response.headers.first(name: "x-amz-bucket-region"),
                                region: location.region, credentials: credentials.sourceDescription, action: action)
        return S3Error(operation: operation, bucket: location.bucket, key: key,
                       reason: .status(status, code: code.map(scrub), message: message.map(scrub)), hint: hint)
    }

    /// The body of a successful answer; a body cut off or too large is an unreadable answer.
    func readBody(_ response: HTTPClientResponse, operation: String, key: String?) async throws -> [UInt8] {
        do {
            let buffer = try await response.body.collect(upTo: Self.maximumDocumentSize)
            let bytes = Array(buffer.readableBytesView)
            if let expected = response.headers.first(name: "content-length").flatMap(Int.init), expected != bytes.count {
                throw S3Error(operation: operation, bucket: location.bucket, key: key,
                              reason: .unreadableBody(status: Int(response.status.code), detail: "\(bytes.count) of \(expected) bytes"))
            }
            return bytes
        } catch let error as S3Error {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: scrub("\(error)")))
        }
    }

    /// A successful answer's XML document, whose root must be `expecting`. S3 can answer 200 with
    /// an `<Error>` (CompleteMultipartUpload does): that is the error it says.
    func readXML(_ response: HTTPClientResponse, operation: String, key: String?, expecting: String...) async throws -> S3XMLNode {
        let bytes = try await readBody(response, operation: operation, key: key)
        let root: S3XMLNode
        do {
            root = try S3XMLNode.parse(bytes)
        } catch {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: "\(error); got \(Self.sniff(bytes, response))"))
        }
        if root.name == "Error" {
            throw failure(status: Int(response.status.code), code: root.value("Code"), message: root.value("Message"),
                          response: response, operation: operation, key: key, action: "this call")
        }
        guard expecting.contains(root.name) else {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: "expected <\(expecting[0])>, got <\(root.name)>"))
        }
        return root
    }

    /// What an unexpected body looks like, for the message: its type and size, not its content
    /// (which may echo the request, headers included).
    static func sniff(_ bytes: [UInt8], _ response: HTTPClientResponse) -> String {
        let type = response.headers.first(name: "content-type") ?? "no content type"
        return "\(bytes.count) bytes of \(type)"
    }

    /// Removes every credential value from a text that came from outside (a server's message, a
    /// library's error description).
    func scrub(_ text: String) -> String {
        var result = text
        for secret in credentials.secretValues where result.contains(secret) {
            result = result.replacing(secret, with: "[REDACTED]")
        }
        return result
    }

    func scrubbed(_ error: S3Error) -> S3Error {
        guard case .transport(let detail, let retryable) = error.reason else { return error }
        return S3Error(operation: error.operation, bucket: error.bucket, key: error.key,
                       reason: .transport(scrub(detail), isRetryable: retryable), hint: error.hint)
    }
}

/// Where a client's requests go after S3 named the bucket's real region: set once, by the first
/// redirect, and shared by the copies of the client (it is a value type passed around freely).
final class RegionRedirect: Sendable {
    private let state = Mutex<S3Location?>(nil)

    var location: S3Location? { state.withLock { $0 } }

    /// - Returns: whether this call set it (so one warning is printed, not one per request).
    func follow(_ location: S3Location) -> Bool {
        state.withLock { current in
            guard current == nil else { return false }
            current = location
            return true
        }
    }
}

/// One request before signing. `key` nil addresses the bucket itself (ListObjectsV2).
struct S3Request: Sendable {
    enum Body: Sendable {
        case none
        case bytes([UInt8])
        case file(FileRange)
    }

    var method: String
    var key: String?
    var query: [(name: String, value: String)] = []
    var headers: [(name: String, value: String)] = []
    var body: Body = .none
    var payloadHash: String = SigV4Signer.emptyPayloadHash
}

/// S3's timestamps (`2009-10-12T17:50:30.000Z`), with or without the fraction.
enum S3Timestamp {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: .iso8601)
    }
}
