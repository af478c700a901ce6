import AsyncHTTPClient
import CacheS3
import Foundation
import NIOCore
import TestSupport
@testable import CacheCore

/// Tests/support/fake_registry.py on loopback: the agent's v2 cache API with entries in memory and
/// faults queued per endpoint. Stopped by `stop()`, or by the script itself when this process goes
/// away (it serves until its stdin closes).
final class FakeRegistry: @unchecked Sendable {
    static let token = "bkaj_registry-test-token-0123456789"
    private let server: LoopbackScript
    var port: Int { server.port }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("support/fake_registry.py").path

    private init(server: LoopbackScript) {
        self.server = server
    }

    var endpoint: String { "http://127.0.0.1:\(port)/v3" }

    static func start(store: String = "local_file") async throws -> FakeRegistry {
        FakeRegistry(server: try await LoopbackScript.start(["python3", script, "--token", token, "--store", store]))
    }

    func stop() async {
        await server.stop()
    }

    func client(token: String = FakeRegistry.token, registry: String = "~") -> RegistryClient {
        RegistryClient(endpoint: endpoint, registry: registry, token: token)
    }

    /// Queues `faults` for the next calls of `endpoint` (registry, peek, retrieve, store, commit, expire).
    func fail(_ endpoint: String, with faults: [String]) async throws {
        _ = try await control("POST", "faults", body: try JSONEncoder().encode([endpoint: faults]))
    }

    struct Request: Decodable {
        let method: String
        let endpoint: String
        let status: Int
        let fault: String?
        let authorized: Bool
        let user_agent: String?
        let timeout: String?
        let body: String
    }

    func requests() async throws -> [Request] {
        try JSONDecoder().decode([Request].self, from: try await control("GET", "requests"))
    }

    func entries() async throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: try await control("GET", "entries")) as? [[String: Any]]) ?? []
    }

    /// An entry put straight into the registry, as if another client had committed it.
    func addEntry(targetPaths: [String], parts: Any?, digest: String, size: Int = 9) async throws {
        let entry: [String: Any] = [
            "target_paths": targetPaths, "cache_key": parts ?? [],
            "blobs": [["digest": ["algorithm": "sha256", "value": digest], "file_size": size, "compression": "zip"]],
        ]
        _ = try await control("POST", "entries", body: try JSONSerialization.data(withJSONObject: entry))
    }

    private func control(_ method: String, _ what: String, body: Data? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/_control/\(what)")
        request.method = .init(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await S3HTTPClient.shared.execute(request, timeout: .seconds(10))
        return Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
    }
}

/// Runs `body` with a fake registry that is always stopped.
func withFakeRegistry<T>(store: String = "local_file", _ body: (FakeRegistry) async throws -> T) async throws -> T {
    let server = try await FakeRegistry.start(store: store)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
