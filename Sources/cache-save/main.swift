import ArgumentParser
import CacheCore
import Foundation

/// post-command: save every configured cache after the job's command has run.
@main
struct CacheSave: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache-save",
        abstract: "Save build caches after a Buildkite job's command has run.",
        discussion: """
            Reads the same configuration as cache-restore. Skips the save when save-when says so \
            (BUILDKITE_COMMAND_EXIT_STATUS against success|failure|always|never) and for pull requests \
            from forks unless save-on-fork-pull-requests is true. For each cache: when an entry for the \
            exact key exists, does nothing; otherwise archives the paths (tar + zstd), stores the blob \
            under its sha256 and commits the entry, the only step that makes it visible.

            Exit status: 0 done, 1 a cache failed with fail-on-error, 2 configuration error, 130 cancelled.
            """)

    @Flag(help: "Print every cache's key, fallback keys and paths, then stop; touches neither the store nor the files.")
    var dryRun = false

    func run() async throws {
        let environment = JobEnvironment()
        let log = BuildkiteLog(redactor: SecretRedactor(environment: environment.variables))
        let dryRun = self.dryRun
        let status = await cancellingOnSignals {
            await SaveJob.run(environment: environment, log: log, dryRun: dryRun)
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
