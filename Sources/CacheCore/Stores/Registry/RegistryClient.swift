import AsyncHTTPClient
import CacheS3
import EssentialsCompat
import CacheEncoding
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1

/// The agent's v2 cache API (`/cache_registries/{registry}/…` at the agent endpoint), one method
/// per call. Each method sends exactly one request and is safe to repeat, so the caller wraps each
/// in its own retrier; none of them retries by itself.
///
/// Requests carry what `buildkite-agent cache` sends: `Authorization: Token <agent access token>`,
/// a `User-Agent`, `Content-Type: application/json` with a body, and `Buildkite-Timeout-Milliseconds`
/// (the deadline we give the request). The token is never part of a description or an error.
public struct RegistryClient: Sendable, CustomStringConvertible, CustomReflectable {
    /// The agent API base, e.g. `https://agent-edge.buildkite.com/v3`, without a trailing `/`.
    public let endpoint: String
    /// The registry's slug; `~` is the cluster's default registry.
    public let registry: String
    private let token: String
    let http: HTTPClient

    public static let defaultEndpoint = "https://agent-edge.buildkite.com/v3"
    /// A cache API answer is a small JSON document; anything this large is not one.
    static let maximumAnswerSize = 4 * 1024 * 1024
    static let requestTimeout: TimeAmount = .seconds(60)

    public init(endpoint: String, registry: String, token: String, http: HTTPClient = S3HTTPClient.shared) {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base
        self.registry = registry
        self.token = token
        self.http = http
    }

    public var description: String { "buildkite://\(registry) at \(endpoint)" }
    public var customMirror: Mirror { Mirror(self, children: ["registry": registry, "endpoint": endpoint]) }

    // MARK: - The calls

    func registryInfo() async throws -> RegistryInfo {
        let answer = try await send("registry", method: .GET, path: "")
        return try answer.decodeSuccess(RegistryInfo.self, operation: "registry", registry: registry)
    }

    /// The entry saved at `lookup`, or nil (`404 "Cache entry not found"`).
    func peek(_ lookup: RegistryLookup) async throws -> RegistryEntry? {
        try await find("peek", lookup)
    }

    /// The entry to restore for `lookup` (exact, or a fallback the server chose), or nil.
    func retrieve(_ lookup: RegistryLookup) async throws -> RegistryEntry? {
        try await find("retrieve", lookup)
    }

    func create(_ request: RegistryCreate) async throws -> RegistryCreated {
        let answer = try await send("create", method: .PUT, path: "/store", body: try Self.encoder.encode(request))
        return try answer.decodeSuccess(RegistryCreated.self, operation: "create", registry: registry)
    }

    func commit(uploadID: String) async throws {
        let answer = try await send("commit", method: .PUT, path: "/commit", body: try Self.encoder.encode(RegistryCommit(uploadID: uploadID)))
        try answer.checkSuccess(operation: "commit", registry: registry)
    }

    /// Removes the entry at `address` (the address retrieve answered with).
    func expire(_ address: RegistryAddress) async throws {
        let answer = try await send("expire", method: .POST, path: "/expire", body: try Self.encoder.encode(address))
        try answer.checkSuccess(operation: "expire", registry: registry)
    }

    private func find(_ operation: String, _ lookup: RegistryLookup) async throws -> RegistryEntry? {
        let answer = try await send(operation, method: .POST, path: "/" + operation, body: try Self.encoder.encode(lookup))
        if answer.status == 404, answer.message == "Cache entry not found" { return nil }
        return try answer.decodeSuccess(RegistryEntry.self, operation: operation, registry: registry)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    // MARK: - Sending

    var registryURL: String {
        endpoint + "/cache_registries/" + PercentEncoding.encode(registry)
    }

    /// One request and its whole answer; a failure to get one becomes a `RegistryError`.
    private func send(_ operation: String, method: HTTPMethod, path: String, body: Data? = nil) async throws -> RegistryAnswer {
        var request = HTTPClientRequest(url: registryURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Token \(token)")
        request.headers.add(name: "User-Agent", value: "swift-cache/\(PluginVersion.current) (buildkite-agent cache v2)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Buildkite-Timeout-Milliseconds", value: String(Self.requestTimeout.nanoseconds / 1_000_000))
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: Self.requestTimeout)
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            throw RegistryError(operation: operation, registry: registry,
                                reason: .transport(scrub("\(error)"), isRetryable: !S3HTTPClient.isConfigurationFailure(error)))
        }
        let status = Int(response.status.code)
        let bytes: [UInt8]
        do {
            bytes = Array(try await response.body.collect(upTo: Self.maximumAnswerSize).readableBytesView)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw RegistryError(operation: operation, registry: registry, reason: .unreadableBody(status: status, detail: scrub("\(error)")))
        }
        if let expected = response.headers.first(name: "content-length").flatMap(Int.init), expected != bytes.count {
            throw RegistryError(operation: operation, registry: registry,
                                reason: .unreadableBody(status: status, detail: "\(bytes.count) of \(expected) bytes"))
        }
        return RegistryAnswer(status: status, contentType: response.headers.first(name: "content-type"), bytes: bytes)
    }

    /// A server's text (an error message, a library's error) without the token in it.
    func scrub(_ text: String) -> String {
        token.isEmpty ? text : text.replacing(token, with: "[REDACTED]")
    }
}

/// A whole answer of the cache API, and the rules that turn it into a result or an error.
struct RegistryAnswer: Sendable {
    let status: Int
    let contentType: String?
    let bytes: [UInt8]

    /// `application/json` or `application/*+json`, parameters and case ignored.
    var isJSON: Bool {
        guard let type = contentType?.split(separator: ";").first?.trimming(.whitespaces).lowercased() else {
            return false
        }
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// The `message` of a JSON answer, if it has one.
    var message: String? {
        guard isJSON, let decoded = try? JSONDecoder().decode(RegistryMessage.self, from: Data(bytes)) else { return nil }
        return decoded.message.map { String($0.prefix(500)) }
    }

    /// Throws for anything but 2xx; a 2xx body, when there is one, must be JSON (typed and valid).
    func checkSuccess(operation: String, registry: String) throws {
        guard (200...299).contains(status) else {
            throw RegistryError(operation: operation, registry: registry, reason: .status(status, message: message?.escapingControlCharacters()))
        }
        if !bytes.isEmpty && !isJSON {
            throw RegistryError(operation: operation, registry: registry,
                                reason: .unreadableBody(status: status, detail: "\(bytes.count) bytes of \(contentType ?? "no content type"), not JSON"))
        }
        if !bytes.isEmpty && JSONObjectStrings.decode(Data(bytes)) == nil {
            throw RegistryError(operation: operation, registry: registry,
                                reason: .unreadableBody(status: status, detail: "\(bytes.count) bytes that are not a JSON object"))
        }
    }

    func decodeSuccess<T: Decodable>(_ type: T.Type, operation: String, registry: String) throws -> T {
        try checkSuccess(operation: operation, registry: registry)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            let detail = bytes.isEmpty ? "an empty body" : "a JSON body that is not a \(operation) answer (\(Self.describe(error)))"
            throw RegistryError(operation: operation, registry: registry, reason: .unreadableBody(status: status, detail: detail))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: "no '\(key.stringValue)'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "bad '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted?: "not valid JSON"
        default: "\(error)"
        }
    }
}
