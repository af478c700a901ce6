import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything `cache-save` does, callable from tests without a process.
public enum SaveJob {
    /// - Parameter stateFile: the keys pre-command resolved (see `StateFile`); without it, or when
    ///   it cannot be used, the keys are rendered now.
    public static func run(environment: JobEnvironment, log: BuildkiteLog, dryRun: Bool,
                           stateFile: String? = nil,
                           clock: any RetryClock = SystemRetryClock(),
                           random: any RetryRandomSource = SystemRandomSource(),
                           now: @escaping @Sendable () -> Date = Date.init,
                           budgetClock: any RetryClock = SystemRetryClock()) async -> JobExitStatus {
        let setup: CommandSetup
        switch CommandSetup.load(environment: environment, log: log, phase: "save") {
        case .failure(let status): return status
        case .success(nil): return .success
        case .success(let loaded?): setup = loaded
        }
        let options = setup.configuration.options
        // Decided before any key is resolved or any file hashed: a job that does not save must
        // not fail because the command removed a checksummed file.
        let reasonToSkip = SaveDecision.reasonToSkip(options, environment: environment)
        if let reasonToSkip, !(dryRun || options.dryRun) {
            log.line("swift-cache: not saving: \(reasonToSkip)")
            if options.annotate, let path = stateFile, let restored = (try? StateFile.read(from: path))?.restored {
                await Annotation.append(Annotation.notSavedMarkdown(restored: restored, reason: reasonToSkip, environment: environment),
                                        environment: environment, log: log)
            }
            return .success
        }
        let state = readState(stateFile, log: log)
        let prepared = PreparedCache.forSave(setup.configuration, environment: environment, state: state, log: log)
        if dryRun || options.dryRun {
            DryRun.print(prepared, store: setup.store.displayName, log: log)
            log.line(reasonToSkip.map { "swift-cache: would not save: \($0)" } ?? "swift-cache: would save the caches above")
            return .success
        }

        let caches = prepared.compactMap(\.ready)
        log.collapsedSection(":card_index_dividers: Saving \(Formatting.count(caches.count, "cache")) to \(setup.store.displayName)")
        var policy = options.saveRetry
        if let unreachable = state?.storeUnreachable {
            policy.attempts = 1
            log.line("swift-cache: pre-command found the store unreachable (\(unreachable)); "
                     + "trying each call once instead of waiting on it")
        }
        let retrier = setup.retrier(policy: policy, log: log, clock: clock, random: random)
        let saver = setup.saver(retrier: retrier, health: StoreHealth(), environment: environment, log: log, now: now)
        let budget = TimeBudget(limit: options.saveTimeout, clock: budgetClock, option: "save-timeout", doing: "saved")
        let results = await budget.forEach(caches, concurrency: options.concurrency, work: { await saver.saveTimed($0) },
                                           late: { SaveResult(cache: $0, outcome: .failed(reason: budget.lateReason)) })
        if Task.isCancelled {
            log.line("swift-cache: save cancelled (the job was cancelled); nothing half-saved is visible")
            return .cancelled
        }

        let failed = results.filter { if case .failed = $0.outcome { true } else { false } }.count
            + prepared.filter { if case .failed = $0 { true } else { false } }.count
        if failed > 0 && options.failOnError {
            log.errorSection(":warning: swift-cache: \(Formatting.count(failed, "cache")) failed to save")
        }
        for result in results { log.line(ResultLines.save(result)) }
        for cache in prepared {
            switch cache {
            case .ready: break
            case .skipped(let id, let reason): log.line("➖ \(id): not saved: \(reason)")
            case .failed(let id, let reason): log.line("⚠️  \(id): not saved: \(reason)")
            }
        }
        if options.annotate {
            await Annotation.append(Annotation.saveMarkdown(results, restored: state?.restored, environment: environment),
                                    environment: environment, log: log)
        }
        return failed > 0 && options.failOnError ? .cacheFailure : .success
    }

    /// The state pre-command left, or nil (with a warning when there was one and it is unusable).
    private static func readState(_ path: String?, log: BuildkiteLog) -> StateFile? {
        guard let path else { return nil }
        do {
            return try StateFile.read(from: path)
        } catch {
            log.warning("cannot use the keys pre-command resolved (\(error)); computing them again")
            return nil
        }
    }
}
