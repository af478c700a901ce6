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

    public let port: Int
    private let process: Process
    private let input: Pipe

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, String(port)]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let server = MotoServer(port: port, process: process, input: input)
        let line = await TestSupport.readLine(output.fileHandleForReading)
        guard line == "ready" else {
            await server.stop()
            let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw FixtureError("moto_server did not start on port \(port): \(reason)")
        }
        return server
    }

    /// Closes the script's stdin (it then kills moto and waits for it) and waits up to 10 s for the
    /// script to exit; a script that is stuck is killed.
    public func stop() async {
        try? input.fileHandleForWriting.close()
        for _ in 0 ..< 200 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
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
