import ArgumentParser
import CacheCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// pre-command: restore every configured cache before the job's command runs.
public struct CacheRestore: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cache-restore",
        abstract: "Restore build caches before a Buildkite job's command runs.",
        discussion: """
            Reads the swift-cache plugin options from BUILDKITE_PLUGIN_CONFIGURATION (or this plugin's \
            entry in BUILDKITE_PLUGINS), or, with no plugin options, the repository's .buildkite/cache.yml. \
            For each cache it looks up the exact key, then each fallback key as a prefix (newest wins), \
            in the job's branch and then the pipeline's default branch; verifies the archive's sha256; \
            and swaps the restored files into place. A miss never fails the job; a configuration error \
            always does; a store failure does only with fail-on-error: true.

            Exit status: 0 done (hits and misses alike), 1 a cache failed with fail-on-error, \
            2 configuration error, 130 cancelled.
            """,
        version: PluginVersion.current)

    @Flag(help: "Print every cache's key, fallback keys and paths, then stop; touches neither the store nor the files.")
    var dryRun = false

    @Option(help: ArgumentHelp(
        "Write SWIFT_CACHE_HIT_<ID> and SWIFT_CACHE_MATCHED_KEY_<ID> lines (NAME=VALUE) to this file for the hook to export.",
        valueName: "path"))
    var exportFile: String?

    @Option(help: ArgumentHelp(
        "A file the hooks create for pre-command to hand each cache's resolved keys to post-command.",
        valueName: "path"))
    var stateFile: String?

    public init() {}

    public func run() async throws {
        let environment = JobEnvironment()
        let log = BuildkiteLog(redactor: SecretRedactor(environment: environment.variables))
        let (dryRun, exportFile, stateFile) = (self.dryRun, self.exportFile, self.stateFile)
        let status = await cancellingOnSignals {
            await RestoreJob.run(environment: environment, log: log, exportFile: exportFile, dryRun: dryRun, stateFile: stateFile)
        }
        await StoreConnections.close()
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
