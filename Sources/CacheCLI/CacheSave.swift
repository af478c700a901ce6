import ArgumentParser
import CacheCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// post-command: save every configured cache after the job's command has run; `prune` keeps a
/// file store bounded (from cron or an agent hook).
public struct CacheSave: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cache-save",
        abstract: "Save build caches after a Buildkite job's command has run.",
        version: PluginVersion.current,
        subcommands: [Save.self, Prune.self],
        defaultSubcommand: Save.self)

    public init() {}
}

struct Save: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save every configured cache (what post-command runs).",
        discussion: """
            Reads the same configuration as cache-restore. Skips the save when save-when says so \
            (BUILDKITE_COMMAND_EXIT_STATUS against success|failure|always|never) and for pull requests \
            from forks unless save-on-fork-pull-requests is true. For each cache: when an entry for the \
            exact key exists, does nothing; otherwise archives the paths (tar + zstd), stores the blob \
            under its sha256 and commits the entry, the only step that makes it visible.

            Exit status: 0 done, 1 a cache failed with fail-on-error, 2 configuration error, 130 cancelled.

            To keep a file store bounded, see `cache-save prune --help`.
            """)

    @Flag(help: "Print every cache's key, fallback keys and paths, then stop; touches neither the store nor the files.")
    var dryRun = false

    @Option(help: ArgumentHelp(
        "A file the hooks create for pre-command to hand each cache's resolved keys to post-command.",
        valueName: "path"))
    var stateFile: String?

    func run() async throws {
        let environment = JobEnvironment()
        let log = BuildkiteLog(redactor: SecretRedactor(environment: environment.variables))
        let (dryRun, stateFile) = (self.dryRun, self.stateFile)
        let status = await cancellingOnSignals {
            await SaveJob.run(environment: environment, log: log, dryRun: dryRun, stateFile: stateFile)
        }
        await StoreConnections.close()
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove old entries and unreferenced blobs from a file store.",
        discussion: """
            Removes entries older than --max-age, then the oldest entries until the blobs still in use \
            fit in --max-size, then blobs no entry names (older than an hour, so a save in progress keeps \
            its blob) and day-old temporary files. Safe while jobs run. Run it from cron or an agent hook, \
            e.g. `cache-save prune --max-age 14d --max-size 50GiB`.
            """)

    @Option(help: ArgumentHelp("The store (file:///path). Default: BUILDKITE_CACHE_STORE_URL, else ~/.cache/swift-cache/store.", valueName: "url"))
    var store: String?

    @Option(help: ArgumentHelp("Remove entries older than this: 14d, 12h, 30m.", valueName: "age"))
    var maxAge: String?

    @Option(help: ArgumentHelp("Keep at most this much in blobs: 50GiB, 500MB.", valueName: "size"))
    var maxSize: String?

    func validate() throws {
        if maxAge == nil && maxSize == nil {
            throw ValidationError("give --max-age, --max-size or both")
        }
    }

    func run() throws {
        let environment = JobEnvironment()
        var limits = PruneLimits()
        do {
            limits.maxAge = try maxAge.map(PruneLimits.parseAge)
            limits.maxSize = try maxSize.map(PruneLimits.parseSize)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let fileStore = try StoreLocation.resolve(option: store, environment: environment) as? FileStore else {
            throw ValidationError("prune works on file:// stores; object stores expire with their own lifecycle rules")
        }
        let summary: FileStorePruner.Summary
        do {
            summary = try FileStorePruner(store: fileStore).prune(limits)
        } catch {
            // Not a usage mistake: the store named is missing. Status 2, as for any configuration error.
            StandardStream.error.send("cache-save prune: error: \(error)\n")
            throw ExitCode(2)
        }
        for line in summary.lines(store: fileStore.displayName) { print(line) }
    }
}
