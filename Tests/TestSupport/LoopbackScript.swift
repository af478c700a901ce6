import Foundation

/// A helper process of the tests that serves on loopback (`Tests/support/`: moto-server.sh,
/// fake_registry.py, credentials-server.py). It prints `ready` (or `ready PORT` when it picked the
/// port) once it listens, and serves until its stdin closes, so it also ends when the test process
/// goes away, however that happens.
public final class LoopbackScript: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let input: Pipe
    /// Its stderr: a file, not a pipe, which a helper that writes much (a traceback per broken
    /// connection) would fill and then block on, since nobody reads it while the tests run.
    private let errorLog: String
    private let stopWithin: Duration

    private init(port: Int, process: Process, input: Pipe, errorLog: String, stopWithin: Duration) {
        self.port = port
        self.process = process
        self.input = input
        self.errorLog = errorLog
        self.stopWithin = stopWithin
    }

    /// Starts `command` and waits for its `ready` line.
    ///
    /// - Parameters:
    ///   - port: the port the command was told to use, when it was; nil when it prints its own.
    ///   - stopWithin: how long `stop` waits for it to end before it is killed.
    /// - Throws: `FixtureError` with what it printed instead (and, on stderr, why), when it did not start.
    public static func start(_ command: [String], port: Int? = nil, stopWithin: Duration = .seconds(2)) async throws -> LoopbackScript {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let input = Pipe()
        let output = Pipe()
        let errorLog = FileManager.default.temporaryDirectory.path + "/loopback-script-\(UUID().uuidString).log"
        guard FileManager.default.createFile(atPath: errorLog, contents: nil), let errors = FileHandle(forWritingAtPath: errorLog) else {
            throw FixtureError("cannot create \(errorLog)")
        }
        defer { try? errors.close() }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let line = await readLine(output.fileHandleForReading)
        let readyPort = port != nil && line == "ready" ? port : line.hasPrefix("ready ") ? Int(line.dropFirst("ready ".count)) : nil
        let script = LoopbackScript(port: readyPort ?? 0, process: process, input: input, errorLog: errorLog, stopWithin: stopWithin)
        guard readyPort != nil else {
            let reason = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
            await script.stop()
            throw FixtureError("\(command.joined(separator: " ")) did not start: '\(line)' \(reason)")
        }
        return script
    }

    /// Closes its stdin and waits for it to end (polling, at most `stopWithin`), then kills what is left.
    public func stop() async {
        try? input.fileHandleForWriting.close()
        let clock = ContinuousClock()
        let deadline = clock.now + stopWithin
        while process.isRunning && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: errorLog)
    }
}
