import CacheArchive
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Turns the archive's frequent progress callbacks into a log line every few seconds: the job log
/// is not a terminal, so a long transfer shows it is alive without flooding the log.
final class ProgressReporter: Sendable {
    private let log: BuildkiteLog
    private let label: String
    private let verb: String
    private let interval: Duration
    private let lastPrinted = Mutex<ContinuousClock.Instant>(ContinuousClock.now)

    init(log: BuildkiteLog, label: String, verb: String, interval: Duration = .seconds(5)) {
        self.log = log
        self.label = label
        self.verb = verb
        self.interval = interval
    }

    var update: @Sendable (ArchiveProgress) -> Void {
        { [self] progress in
            let now = ContinuousClock.now
            let due = lastPrinted.withLock { last in
                guard now - last >= interval else { return false }
                last = now
                return true
            }
            if due {
                log.line("   \(label): \(verb) \(progress.entries) entries, \(Formatting.bytes(progress.contentBytes)) so far")
            }
        }
    }
}
