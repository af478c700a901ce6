import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A summary in the build's annotations through `buildkite-agent annotate`, when the agent binary
/// is on PATH. Every job appends one row to one `swift-cache` annotation so a build shows all its
/// caches in one place: under the hooks, pre-command hands its part of the row to post-command in
/// the state file, and post-command appends the whole row. An annotation is a courtesy: any failure is a warning, never fatal, and a
/// hung agent is given up on after a few seconds.
public enum Annotation {
    static let context = "swift-cache"

    public static func restoreMarkdown(_ results: [RestoreResult], environment: JobEnvironment) -> String {
        row(environment, parts: [restorePart(results)])
    }

    /// `saved: …`, after the restore part when pre-command handed one over.
    public static func saveMarkdown(_ results: [SaveResult], restored: String? = nil, environment: JobEnvironment) -> String {
        row(environment, parts: [restored, savePart(results)].compactMap { $0 })
    }

    /// The row of a job that did not save (`save-when`, a fork, a branch): the restore part and why.
    static func notSavedMarkdown(restored: String, reason: String, environment: JobEnvironment) -> String {
        row(environment, parts: [restored, "not saved (\(reason))"])
    }

    static func row(_ environment: JobEnvironment, parts: [String]) -> String {
        "**\(label(environment))** " + parts.joined(separator: "; ") + "\n"
    }

    /// `restored: `deps` ✅ exact hit (12.3 MiB, 1.2s) · …`
    static func restorePart(_ results: [RestoreResult]) -> String {
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
        return "restored: " + rows.joined(separator: " · ")
    }

    static func savePart(_ results: [SaveResult]) -> String {
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
        return "saved: " + rows.joined(separator: " · ")
    }

    static func label(_ environment: JobEnvironment) -> String {
        (environment["BUILDKITE_LABEL"] ?? environment["BUILDKITE_STEP_KEY"] ?? "job")
            .replacing("*", with: "")
    }

    /// Appends `markdown` to the build's swift-cache annotation; false when there is no agent or
    /// it failed. The whole exchange is bounded by `timeout` on `clock` (so tests need not wait for
    /// real), and nothing the agent does can fail or hold the job: see `ChildProcess`.
    @discardableResult
    public static func append(_ markdown: String, environment: JobEnvironment, log: BuildkiteLog,
                              timeout: Duration = .seconds(10), clock: any RetryClock = SystemRetryClock()) async -> Bool {
        guard let agent = executable("buildkite-agent", path: environment["PATH"]) else { return false }
        do {
            let child = try await ChildProcess.run(
                agent, arguments: ["annotate", "--context", context, "--style", "info", "--append"],
                input: markdown, timeout: timeout, clock: clock)
            guard let status = child.status else {
                log.warning("buildkite-agent annotate did not finish within \(Formatting.duration(timeout)); the summary is only in the log")
                return false
            }
            if status != 0 {
                let said = child.errorOutput.split(separator: "\n").last.map { ": \($0)" } ?? ""
                log.warning("buildkite-agent annotate exited with status \(status)\(said); the summary is only in the log")
            }
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
}
