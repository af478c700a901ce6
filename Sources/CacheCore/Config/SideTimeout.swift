import CacheRetry

/// `restore-timeout` and `save-timeout`: the most time one side of a job may spend on caches in
/// total. A store that hangs must not hold a job: past the budget the caches still in flight are
/// reported as failed and the job goes on.
enum SideTimeout {
    static let restoreDefault: Duration = .seconds(30)
    static let saveDefault: Duration = .seconds(600)
    static let range: ClosedRange<Duration> = .seconds(1) ... .seconds(6 * 3600)

    struct Invalid: Error {
        let message: String
    }

    /// A duration such as `30s`, `90s` or `10m`, from one second to six hours.
    /// - Throws: `Invalid` with the message saying what is wrong.
    static func parse(_ text: String) throws(Invalid) -> Duration {
        let duration: Duration
        do {
            duration = try RetryPolicy.parseDuration(text)
        } catch {
            throw Invalid(message: "is not a duration: \(error)")
        }
        guard range.contains(duration) else {
            throw Invalid(message: "must be from 1s to 360m (six hours), got '\(text)'")
        }
        return duration
    }

    /// `30s`, `10m`: as a user would write it back.
    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        return seconds % 60 == 0 && seconds >= 60 ? "\(seconds / 60)m" : "\(seconds)s"
    }
}
