import CacheRetry
import Foundation

/// Everything `cache-save` does, callable from tests without a process.
public enum SaveJob {
    public static func run(environment: JobEnvironment, log: BuildkiteLog, dryRun: Bool,
                           clock: any RetryClock = SystemRetryClock(),
                           random: any RetryRandomSource = SystemRandomSource(),
                           now: @escaping @Sendable () -> Date = Date.init,
                           budgetClock: any RetryClock = SystemRetryClock()) async -> JobExitStatus {
        let setup: CommandSetup
        switch CommandSetup.prepare(environment: environment, log: log, phase: "save", dryRun: dryRun) {
        case .stop(let status): return status
        case .run(let prepared): setup = prepared
        }
        let options = setup.configuration.options
        if let reason = SaveDecision.reasonToSkip(options, environment: environment) {
            log.line("swift-cache: not saving: \(reason)")
            return .success
        }
        log.collapsedSection(":card_index_dividers: Saving \(setup.caches.count) cache\(setup.caches.count == 1 ? "" : "s") to \(setup.store.displayName)")
        let context = setup.context(policy: options.saveRetry, environment: environment, log: log, clock: clock, random: random)
        let saver = Saver(context: context, concurrency: options.concurrency,
                          compressionLevel: options.compressionLevel, now: now)
        let budget = TimeBudget(limit: options.saveTimeout, clock: budgetClock, option: "save-timeout", doing: "saved")
        let results = await budget.forEach(setup.caches, concurrency: options.concurrency, work: { await saver.saveTimed($0) },
                                           late: { SaveResult(cache: $0, outcome: .failed(reason: budget.lateReason)) })
        if Task.isCancelled { return .cancelled }

        let failures = results.filter { if case .failed = $0.outcome { true } else { false } }
        if !failures.isEmpty && options.failOnError {
            log.errorSection(":warning: swift-cache: \(failures.count) cache\(failures.count == 1 ? "" : "s") failed to save")
        }
        for result in results { log.line(ResultLines.save(result)) }
        if options.annotate {
            await Annotation.append(Annotation.saveMarkdown(results, environment: environment), environment: environment, log: log)
        }
        return !failures.isEmpty && options.failOnError ? .cacheFailure : .success
    }
}
