/// Team overrides of a policy from the plugin options, validated here so that
/// a bad value fails before any store call, with a message that says which
/// option is wrong and what it accepts.
extension RetryPolicy {
    public static let attemptsRange = 1 ... 100

    /// This policy with each non-nil option replaced.
    ///
    /// A new `strategy` keeps this policy's interval unless `interval` is also
    /// given, and a new `interval` keeps this policy's kind of strategy; so
    /// `strategy: "constant"` alone on the restore policy waits 500 ms each time.
    ///
    /// - Parameters:
    ///   - attempts: 1 through 100, the first call included.
    ///   - strategy: `constant`, `exponential` or `exponential-subsecond`.
    ///   - interval: the constant wait or the initial one, as a duration such as
    ///     `500ms`, `5s`, `1.5s` or `2m`; more than zero, at most 10 minutes.
    ///   - jitter: a duration, zero allowed, at most 10 minutes.
    /// - Throws: `RetryPolicyError` naming the first bad option.
    public func overriding(attempts: Int?, strategy: String?, interval: String?, jitter: String?) throws -> RetryPolicy {
        var policy = self
        if let attempts {
            guard Self.attemptsRange.contains(attempts) else {
                throw RetryPolicyError(
                    option: .attempts,
                    message: "retry attempts must be between \(Self.attemptsRange.lowerBound) and "
                        + "\(Self.attemptsRange.upperBound), got \(attempts)")
            }
            policy.attempts = attempts
        }
        if let strategy {
            guard let named = RetryStrategy.named(strategy, interval: policy.strategy.interval) else {
                throw RetryPolicyError(
                    option: .strategy,
                    message: "unknown retry strategy \"\(strategy)\"; use one of "
                        + RetryStrategy.allNames.joined(separator: ", "))
            }
            policy.strategy = named
        }
        if let interval {
            let duration = try Self.parseOverride(interval, option: .interval)
            guard duration > .zero else {
                throw RetryPolicyError(
                    option: .interval,
                    message: "retry interval must be more than zero, got \"\(interval)\"; "
                        + "a zero wait retries a failing store immediately, use a wait such as 500ms")
            }
            policy.strategy = policy.strategy.with(interval: duration)
        }
        if let jitter {
            policy.jitter = try Self.parseOverride(jitter, option: .jitter)
        }
        return policy
    }

    /// A duration as users write it: a number and a unit, `ms`, `s` or `m`
    /// (`500ms`, `5s`, `1.5s`, `2m`); a bare `0` is zero.
    ///
    /// A bare number other than zero is refused: `5` could mean 5 ms or 5 s,
    /// and guessing wrong is a thousandfold mistake.
    ///
    /// - Throws: `RetryPolicyError` saying what is wrong with the text.
    public static func parseDuration(_ text: String) throws -> Duration {
        let trimmed = text.trimmingWhitespace()
        let examples = "such as 500ms, 5s, 1.5s or 2m"
        func failure(_ message: String) -> RetryPolicyError {
            RetryPolicyError(option: nil, message: message)
        }
        guard !trimmed.isEmpty else {
            throw failure("a duration is empty; write a number and a unit \(examples)")
        }
        guard !trimmed.hasPrefix("-") else {
            throw failure("duration \"\(text)\" is negative; a wait cannot be, write one \(examples)")
        }
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed[number.endIndex...]
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, parts.count <= 2,
              parts.count == 1 || !parts[1].isEmpty else {
            throw failure("duration \"\(text)\" does not start with a number; write a number and a unit \(examples)")
        }
        let nanosecondsPerUnit: Int64
        switch unit {
        case "ms": nanosecondsPerUnit = 1_000_000
        case "s": nanosecondsPerUnit = 1_000_000_000
        case "m": nanosecondsPerUnit = 60_000_000_000
        case "" where whole.allSatisfy({ $0 == "0" }) && parts.dropFirst().allSatisfy({ $0.allSatisfy { $0 == "0" } }):
            return .zero
        case "":
            throw failure("duration \"\(text)\" has no unit; write \(number)ms, \(number)s or \(number)m")
        default:
            throw failure("duration \"\(text)\" has an unknown unit \"\(unit)\"; use ms, s or m, \(examples)")
        }
        // The whole part in integers; the fraction (at most nine digits, more
        // than a nanosecond of any unit needs) rounded to the nanosecond, so
        // "1.1s" is exactly 1100 ms and not a hair under it.
        let tooLarge = failure("duration \"\(text)\" is too large; retry waits are at most minutes")
        guard whole.count <= 9, let wholeValue = Int64(whole) else { throw tooLarge }
        let (product, overflow) = wholeValue.multipliedReportingOverflow(by: nanosecondsPerUnit)
        guard !overflow else { throw tooLarge }
        var nanoseconds = product
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            let fraction = Int64(digits) ?? 0
            var scale: Int64 = 1
            for _ in 0 ..< digits.count { scale *= 10 }
            let (sum, sumOverflow) = nanoseconds.addingReportingOverflow(
                Int64((Double(fraction) / Double(scale) * Double(nanosecondsPerUnit)).rounded()))
            guard !sumOverflow else { throw tooLarge }
            nanoseconds = sum
        }
        return .nanoseconds(nanoseconds)
    }

    /// Parses an interval or jitter override and checks its upper bound,
    /// naming the option in any error.
    private static func parseOverride(_ text: String, option: RetryPolicyError.Option) throws -> Duration {
        let duration: Duration
        do {
            duration = try parseDuration(text)
        } catch let error as RetryPolicyError {
            throw RetryPolicyError(option: option, message: "invalid retry \(option.rawValue): \(error.message)")
        }
        guard duration <= maximumWait else {
            throw RetryPolicyError(
                option: option,
                message: "retry \(option.rawValue) must be at most \(maximumWait.retryDescription), got \"\(text)\"")
        }
        return duration
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start ..< end]
    }
}
