import CacheRetry
import Foundation
import Synchronization
import Testing
@testable import CacheCore

/// A budget that never runs out: its wait ends only when the budget is no longer needed (the
/// work finished and cancelled it).
struct NeverEndingClock: RetryClock {
    func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: .seconds(365 * 24 * 3600))
    }
}

/// A budget that runs out once something has happened (a request reached a silent server): it
/// looks every few milliseconds, a wait for an event, not for an amount of time.
struct EventClock: RetryClock {
    let happened: @Sendable () -> Bool

    func sleep(for duration: Duration) async throws {
        while !happened() { try await Task.sleep(for: .milliseconds(5)) }
    }
}

@Suite("A total time budget per side of a job")
struct TimeBudgetTests {
    @Test func whatFinishedKeepsItsResultWhatDidNotIsLate() async {
        let clock = GateClock()
        let cancelled = Mutex(false)
        let budget = TimeBudget(limit: .seconds(30), clock: clock)
        let results = await budget.forEach(["fast", "hung"], concurrency: 1, work: { item in
            guard item == "hung" else { return "done \(item)" }
            // The fast one is recorded before this starts (one at a time); now the budget runs out.
            clock.fire()
            do {
                try await Task.sleep(for: .seconds(365 * 24 * 3600))
            } catch {
                cancelled.withLock { $0 = true }
            }
            return "finished after all"
        }, late: { "late \($0)" })
        #expect(results == ["done fast", "late hung"])
        #expect(cancelled.withLock { $0 }, "the late work is cancelled, not left running")
    }

    @Test func workThatFinishesInTimeIsUntouched() async {
        let budget = TimeBudget(limit: .seconds(30), clock: NeverEndingClock())
        let results = await budget.forEach([1, 2, 3], concurrency: 2, work: { $0 * 10 }, late: { _ in -1 })
        #expect(results == [10, 20, 30])
    }

    @Test func theOptionsAndTheirDefaults() throws {
        let scratch = try Scratch()
        let defaults = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#)))
        #expect(defaults.options.restoreTimeout == .seconds(30))
        #expect(defaults.options.saveTimeout == .seconds(600))
        let fleet = ["SWIFT_CACHE_RESTORE_TIMEOUT": "45s", "SWIFT_CACHE_SAVE_TIMEOUT": "20m"]
        let fromFleet = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#, extra: fleet)))
        #expect(fromFleet.options.restoreTimeout == .seconds(45))
        #expect(fromFleet.options.saveTimeout == .seconds(1200))
        let overridden = try #require(try ConfigurationLoader.load(jobEnvironment(
            scratch, configuration: #"{"caches":[],"restore-timeout":"1.5m","save-timeout":"90s"}"#, extra: fleet)))
        #expect(overridden.options.restoreTimeout == .seconds(90))
        #expect(overridden.options.saveTimeout == .seconds(90))
    }

    @Test(arguments: [
        (#""restore-timeout":"30""#, "has no unit"),
        (#""restore-timeout":"0s""#, "from 1s to 360m"),
        (#""save-timeout":"7h""#, "unknown unit"),
        (#""save-timeout":"361m""#, "from 1s to 360m"),
        (#""save-timeout":600"#, "600s"),
        (#""restore-timeout":null"#, "null"),
    ])
    func badOptionsSayWhatIsWrong(option: String, expected: String) throws {
        let scratch = try Scratch()
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: "{\"caches\":[],\(option)}"))
        }
        #expect(error.description.contains(expected) && error.description.contains("timeout"), "\(error)")
    }

    @Test(arguments: [("SWIFT_CACHE_RESTORE_TIMEOUT", "forever"), ("SWIFT_CACHE_SAVE_TIMEOUT", "0")])
    func badFleetValuesNameTheVariable(name: String, value: String) throws {
        let scratch = try Scratch()
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#, extra: [name: value]))
        }
        #expect(error.description.hasPrefix("\(name) (agent environment): "), "\(error)")
    }
}
