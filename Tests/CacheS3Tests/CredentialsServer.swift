import Foundation
import TestSupport
@testable import CacheS3

/// Tests/support/credentials-server.py on loopback: an EC2 instance metadata service (IMDSv2) and a
/// container credentials endpoint that hand out numbered credentials. Stopped by `stop()`, or by
/// the script itself when this process goes away (it serves until its stdin closes).
final class CredentialsServer: @unchecked Sendable {
    private let server: LoopbackScript
    var port: Int { server.port }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("support/credentials-server.py").path

    private init(server: LoopbackScript) {
        self.server = server
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }
    /// A full container credentials URI on this server.
    var containerURI: String { endpoint + "/container/v1/credentials" }

    /// - Parameters:
    ///   - token: the `Authorization` the container endpoint requires.
    ///   - expiresIn: seconds from now that each handed-out set is valid.
    static func start(token: String? = nil, expiresIn: Int = 3600) async throws -> CredentialsServer {
        let arguments = ["--expires-in", String(expiresIn)] + (token.map { ["--token", $0] } ?? [])
        return CredentialsServer(server: try await LoopbackScript.start(["python3", script] + arguments))
    }

    func stop() async {
        await server.stop()
    }

    /// How many token PUTs, metadata credentials and container credentials it answered.
    func stats() async throws -> [String: Int] {
        let answer = try await CredentialEndpoint(http: S3HTTPClient.shared, what: "the test credentials server")
            .send("GET", endpoint + "/stats", timeout: .seconds(5))
        return try JSONDecoder().decode([String: Int].self, from: Data(answer.body))
    }
}

/// Runs `body` with a credentials server that is always stopped.
func withCredentialsServer<T>(token: String? = nil, expiresIn: Int = 3600,
                              _ body: (CredentialsServer) async throws -> T) async throws -> T {
    let server = try await CredentialsServer.start(token: token, expiresIn: expiresIn)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
