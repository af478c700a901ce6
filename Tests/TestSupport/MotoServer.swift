import Foundation
import Testing

/// A real S3 server on loopback (moto_server), one per suite: `@Suite(.motoServer)` starts it before
/// the suite's tests and stops it (waiting for the process to exit) after the last one. Tests read
/// it from `MotoServer.current`. Shared by every test target that talks to S3; each adds its own
/// way to make a bucket (a client, a store) in an extension.
///
/// Started through Tests/support/moto-server.sh, which stops the server when our end of its stdin
/// closes, so a crashed test run leaves no server behind.
public final class MotoServer: @unchecked Sendable {
    @TaskLocal public static var current: MotoServer?

    private let server: LoopbackScript
    public var port: Int { server.port }

    private init(server: LoopbackScript) {
        self.server = server
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("support/moto-server.sh").path

    /// The path of `tool` on PATH, or nil.
    public static func which(_ tool: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(tool)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func start() async throws -> MotoServer {
        guard which("moto_server") != nil else {
            throw FixtureError("moto_server is not on PATH: the S3 tests need it (pip install 'moto[server]'); they do not skip")
        }
        let port = try freePort()
        // Up to 10 s to stop: the script kills moto and waits for it, so the port is free after.
        return MotoServer(server: try await LoopbackScript.start(["bash", script, String(port)], port: port, stopWithin: .seconds(10)))
    }

    /// Closes the script's stdin (it then kills moto and waits for it) and waits up to 10 s for the
    /// script to exit; a script that is stuck is killed.
    public func stop() async {
        await server.stop()
    }

    /// A port nobody listens on right now: bind port 0 and ask which one the kernel chose.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw FixtureError("could not bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct MotoServerScope: SuiteTrait, TestScoping {
    public init() {}

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await MotoServer.start()
        do {
            try await MotoServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == MotoServerScope {
    /// One moto_server for the whole suite.
    public static var motoServer: Self { Self() }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
