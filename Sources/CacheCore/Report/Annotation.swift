import CacheRetry
import Foundation
import Synchronization

/// A summary in the build's annotations through `buildkite-agent annotate`, when the agent binary
/// is on PATH. Every job appends its lines to one `swift-cache` annotation so a build shows all its
/// caches in one place. An annotation is a courtesy: any failure is a warning, never fatal, and a
/// hung agent is given up on after a few seconds.
public enum Annotation {
    static let context = "swift-cache"

    public static func restoreMarkdown(_ results: [RestoreResult], environment: JobEnvironment) -> String {
        let rows = results.map { result -> String in
            let outcome: String
            switch result.outcome {
            case .exact: outcome = "✅ exact hit"
            case .fallback: outcome = "✅ fallback hit"
            case .miss: outcome = "➖ miss"
            case .failed: outcome = "⚠️ failed"
            }
            return "`\(result.cache.id)` \(outcome) (\(Formatting.bytes(result.archiveBytes)), \(Formatting.duration(result.duration)))"
        }
        return "**\(label(environment))** restored: " + rows.joined(separator: " · ") + "\n"
    }

    public static func saveMarkdown(_ results: [SaveResult], environment: JobEnvironment) -> String {
        let rows = results.map { result -> String in
            let outcome: String
            switch result.outcome {
            case .saved: outcome = "💾 saved \(Formatting.bytes(result.archiveBytes))"
            case .alreadyCached, .alreadySavedByAnotherJob: outcome = "✔️ already cached"
            case .skipped: outcome = "➖ skipped"
            case .failed: outcome = "⚠️ failed"
            }
            return "`\(result.cache.id)` \(outcome) (\(Formatting.duration(result.duration)))"
        }
        return "**\(label(environment))** saved: " + rows.joined(separator: " · ") + "\n"
    }

    static func label(_ environment: JobEnvironment) -> String {
        (environment["BUILDKITE_LABEL"] ?? environment["BUILDKITE_STEP_KEY"] ?? "job")
            .replacingOccurrences(of: "*", with: "")
    }

    /// Appends `markdown` to the build's swift-cache annotation; false when there is no agent or
    /// it failed. The timeout runs on `clock`, so tests need not wait for real.
    @discardableResult
    public static func append(_ markdown: String, environment: JobEnvironment, log: BuildkiteLog,
                              timeout: Duration = .seconds(10), clock: any RetryClock = SystemRetryClock()) async -> Bool {
        guard let agent = executable("buildkite-agent", path: environment["PATH"]) else { return false }
        do {
            let status = try await run(agent, arguments: ["annotate", "--context", context, "--style", "info", "--append"],
                                       input: markdown, timeout: timeout, clock: clock)
            guard let status else {
                log.warning("buildkite-agent annotate did not finish within \(Formatting.duration(timeout)); the summary is only in the log")
                return false
            }
            if status != 0 { log.warning("buildkite-agent annotate exited with status \(status); the summary is only in the log") }
            return status == 0
        } catch {
            log.warning("could not run buildkite-agent annotate: \(error)")
            return false
        }
    }

    static func executable(_ name: String, path: String?) -> String? {
        for directory in (path ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The exit status, or nil when the timeout ended it.
    static func run(_ executable: String, arguments: [String], input: String, timeout: Duration,
                    clock: any RetryClock) async throws -> Int32? {
        let process = SendableProcess()
        process.value.executableURL = URL(fileURLWithPath: executable)
        process.value.arguments = arguments
        let stdin = Pipe()
        process.value.standardInput = stdin
        process.value.standardOutput = FileHandle.nullDevice
        try process.value.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let timer = Task {
            try await clock.sleep(for: timeout)
            process.timedOut.withLock { $0 = true }
            // SIGKILL, not terminate(): the binaries ignore SIGTERM (they turn it into cancellation),
            // and a child inherits that, so SIGTERM would not stop a hung agent.
            kill(process.value.processIdentifier, SIGKILL)
        }
        let status = try await runBlocking { _ in
            process.value.waitUntilExit()
            return process.value.terminationStatus
        }
        timer.cancel()
        return process.timedOut.withLock { $0 } ? nil : status
    }
}

/// `Process` is not Sendable; this box is only touched by the waiting thread and the timer.
private final class SendableProcess: @unchecked Sendable {
    let value = Process()
    let timedOut = Mutex(false)
}
