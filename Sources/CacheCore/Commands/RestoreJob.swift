import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything `cache-restore` does, callable from tests without a process.
public enum RestoreJob {
    /// - Parameter stateFile: where to hand the resolved keys (and the store's health) to
    ///   post-command; see `StateFile`.
    public static func run(environment: JobEnvironment, log: BuildkiteLog, exportFile: String?, dryRun: Bool,
                           stateFile: String? = nil,
                           clock: any RetryClock = SystemRetryClock(),
                           random: any RetryRandomSource = SystemRandomSource(),
                           budgetClock: any RetryClock = SystemRetryClock()) async -> JobExitStatus {
        let setup: CommandSetup
        switch CommandSetup.load(environment: environment, log: log, phase: "restore") {
        case .failure(let status): return status
        case .success(nil): return .success
        case .success(let loaded?): setup = loaded
        }
        let options = setup.configuration.options
        let prepared: [PreparedCache]
        do {
            prepared = try PreparedCache.forRestore(setup.configuration, environment: environment, log: log)
        } catch {
            return CommandSetup.reportConfigurationError(error, log: log)
        }
        var state = PreparedCache.state(of: prepared, storeUnreachable: nil)
        writeState(state, to: stateFile, log: log)
        if dryRun || options.dryRun {
            DryRun.print(prepared, store: setup.store.displayName, log: log)
            return .success
        }

        let caches = prepared.compactMap(\.ready)
        let skipped = prepared.compactMap { if case .skipped(let id, _) = $0 { id } else { nil } }
        log.collapsedSection(":card_index_dividers: Restoring \(Formatting.count(caches.count, "cache")) from \(setup.store.displayName)")
        let health = StoreHealth()
        let retrier = setup.retrier(policy: options.restoreRetry, log: log, clock: clock, random: random)
        let restorer = setup.restorer(retrier: retrier, health: health, environment: environment, log: log)
        let budget = TimeBudget(limit: options.restoreTimeout, clock: budgetClock, option: "restore-timeout", doing: "restored")
        let results = await budget.forEach(caches, concurrency: options.concurrency, work: { await restorer.restore($0) },
                                           late: { RestoreResult(cache: $0, outcome: .failed(reason: budget.lateReason)) })
        if Task.isCancelled {
            log.line("swift-cache: restore cancelled (the job was cancelled); every cache path is as it was before the restore")
            return .cancelled
        }
        state.storeUnreachable = health.unreachable

        let failures = results.filter { if case .failed = $0.outcome { true } else { false } }
        if !failures.isEmpty && options.failOnError {
            log.errorSection(":warning: swift-cache: \(Formatting.count(failures.count, "cache")) failed to restore")
        }
        for result in results { log.line(ResultLines.restore(result)) }
        for id in skipped { log.line("➖ \(id): skipped (see the warning above)") }
        if !failures.isEmpty && !options.failOnError {
            log.line("The job goes on without \(failures.count == 1 ? "that cache" : "those caches") (set fail-on-error: true to stop it instead).")
        }
        if options.annotate && stateFile != nil {
            // One row per job: post-command appends this part with its own.
            state.restored = Annotation.restorePart(results)
        } else if options.annotate {
            await Annotation.append(Annotation.restoreMarkdown(results, environment: environment), environment: environment, log: log)
        }
        if state.storeUnreachable != nil || state.restored != nil {
            writeState(state, to: stateFile, log: log)
        }
        if let exportFile {
            let export = ExportFile.lines(for: results, skipped: skipped)
            for name in export.refused {
                log.warning("not exporting \(name): its value holds a control character")
            }
            do {
                try ExportFile.write(export.lines, to: exportFile)
            } catch {
                log.warning("could not write the export file \(exportFile): \(error)")
            }
        }
        return !failures.isEmpty && options.failOnError ? .cacheFailure : .success
    }

    /// Hands the keys to post-command. A state that cannot be written only costs post-command a
    /// second rendering of the keys, so it is a warning.
    private static func writeState(_ state: StateFile, to path: String?, log: BuildkiteLog) {
        guard let path else { return }
        do {
            try state.write(to: path)
        } catch {
            log.warning("could not write the state file \(path) for post-command (it will compute the keys again): \(error)")
        }
    }
}
