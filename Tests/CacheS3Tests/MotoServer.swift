import Foundation
import Testing
@testable import CacheS3

/// A real S3 server on loopback (moto_server), one per suite: `@Suite(.motoServer)` starts it before
/// the suite's tests and stops it (waiting for the process to exit) after the last one. Tests read
/// it from `MotoServer.current`.
///
/// Started through Tests/support/moto-server.sh, which stops the server when our end of its stdin
/// closes, so a crashed test run leaves no server behind.
final class MotoServer: @unchecked Sendable {
    @TaskLocal static var current: MotoServer?

    let port: Int
    private let process: Process
    private let input: Pipe

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("support/moto-server.sh").path

    static func start() async throws -> MotoServer {
        guard let path = ProcessInfo.processInfo.environment["PATH"],
              path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/moto_server") }) else {
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
        let line = await readLine(output.fileHandleForReading)
        guard line == "ready" else {
            await server.stop()
            let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw FixtureError("moto_server did not start on port \(port): \(reason)")
        }
        return server
    }

    /// Closes the script's stdin (it then kills moto and waits for it) and waits up to 10 s for the
    /// script to exit; a script that is stuck is killed.
    func stop() async {
        try? input.fileHandleForWriting.close()
        for _ in 0 ..< 200 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }

    static func readLine(_ handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                while true {
                    let data = handle.readData(ofLength: 1)
                    if data.isEmpty || data.first == 0x0A { break }
                    bytes += data
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// A port nobody listens on right now: bind port 0 and ask which one the kernel chose.
    static func freePort() throws -> Int {
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

    /// A client for a new, empty bucket of its own, so tests running in parallel never meet.
    func client(prefix: String = "cache", transfer: S3TransferOptions? = nil,
                credentials: S3Credentials = .forTests) async throws -> S3Client {
        let bucket = "test-" + UUID().uuidString.lowercased()
        let location = try S3Location(url: "s3://\(bucket)/\(prefix)?endpoint=\(endpoint)&use_path_style=true&region=us-east-1")
        let client = S3Client(location: location, credentials: credentials, transfer: transfer)
        try await client.createBucketForTests()
        return client
    }
}

extension S3Client {
    func createBucketForTests() async throws {
        let response = try await send(S3Request(method: "PUT", key: nil), operation: "CreateBucket", key: nil)
        try await check(response, operation: "CreateBucket", key: nil, action: "s3:CreateBucket")
        _ = try await response.body.collect(upTo: 1 << 20)
    }
}

extension S3Credentials {
    /// Distinctive values, so a test can prove none of them is ever printed.
    static let forTests = S3Credentials(accessKeyID: "AKIDSWIFTCACHETEST01", secretAccessKey: "sEcReT/swift+cache/TEST/KEY/0123456789",
                                        sessionToken: "TOKEN-swiftcache-session-abcdefghijklmnop", source: "the tests")
}

struct MotoServerScope: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
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
    static var motoServer: Self { Self() }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
