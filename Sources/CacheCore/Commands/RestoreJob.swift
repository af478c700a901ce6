import CacheRetry
import Foundation

/// Everything `cache-restore` does, callable from tests without a process.
public enum RestoreJob {
    public static func run(environment: JobEnvironment, log: BuildkiteLog, exportFile: String?, dryRun: Bool,
                           clock: any RetryClock = SystemRetryClock(),
                           random: any RetryRandomSource = SystemRandomSource(),
                           budgetClock: any RetryClock = SystemRetryClock()) async -> JobExitStatus {
        let setup: CommandSetup
        switch CommandSetup.prepare(environment: environment, log: log, phase: "restore", dryRun: dryRun) {
        case .stop(let status): return status
        case .run(let prepared): setup = prepared
        }
        let options = setup.configuration.options
        log.collapsedSection(":card_index_dividers: Restoring \(setup.caches.count) cache\(setup.caches.count == 1 ? "" : "s") from \(setup.store.displayName)")
        let context = setup.context(policy: options.restoreRetry, environment: environment, log: log, clock: clock, random: random)
        let restorer = Restorer(context: context, concurrency: options.concurrency,
                                mayWrite: !environment.isForkPullRequest || options.saveOnForkPullRequests)
        let budget = TimeBudget(limit: options.restoreTimeout, clock: budgetClock, option: "restore-timeout", doing: "restored")
        let results = await budget.forEach(setup.caches, concurrency: options.concurrency, work: { await restorer.restore($0) },
                                           late: { RestoreResult(cache: $0, outcome: .failed(reason: budget.lateReason)) })
        if Task.isCancelled { return .cancelled }

        let failures = results.filter { if case .failed = $0.outcome { true } else { false } }
        if !failures.isEmpty && options.failOnError {
            log.errorSection(":warning: swift-cache: \(failures.count) cache\(failures.count == 1 ? "" : "s") failed to restore")
        }
        for result in results { log.line(ResultLines.restore(result)) }
        if !failures.isEmpty && !options.failOnError {
            log.line("The job goes on without \(failures.count == 1 ? "that cache" : "those caches") (set fail-on-error: true to stop it instead).")
        }
        if options.annotate {
            await Annotation.append(Annotation.restoreMarkdown(results, environment: environment), environment: environment, log: log)
        }
        if let exportFile {
            let export = ExportFile.lines(for: results)
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
}
