#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the wait between attempts grows with the number of failures.
public enum RetryStrategy: Sendable, Equatable {
    /// The same wait every time: for the patient save, where a store that is
    /// down for a minute should not push the waits out to many minutes.
    case constant(Duration)
    /// `initial * 2^n` after `n` failures (0-based).
    case exponential(initial: Duration)
    /// `initial_ms ^ (n/16 + 1)` milliseconds after `n` failures (0-based):
    /// from 500 ms it gives 500, 737, 1087, 1603 ms. It grows much more gently
    /// than doubling, which keeps a failing restore (that blocks the job from
    /// starting) well under ten seconds in total.
    case exponentialSubsecond(initial: Duration)

    /// The duration the strategy starts from (the interval of a constant one).
    var interval: Duration {
        switch self {
        case .constant(let interval), .exponential(let interval), .exponentialSubsecond(let interval):
            interval
        }
    }

    /// The same kind of strategy, starting from another duration.
    func with(interval: Duration) -> RetryStrategy {
        switch self {
        case .constant: .constant(interval)
        case .exponential: .exponential(initial: interval)
        case .exponentialSubsecond: .exponentialSubsecond(initial: interval)
        }
    }

    /// The kind of strategy a user names, starting from `interval`, or nil for
    /// a name that is not one of `allNames`.
    static func named(_ name: String, interval: Duration) -> RetryStrategy? {
        switch name {
        case "constant": .constant(interval)
        case "exponential": .exponential(initial: interval)
        case "exponential-subsecond": .exponentialSubsecond(initial: interval)
        default: nil
        }
    }

    static let allNames = ["constant", "exponential", "exponential-subsecond"]

    /// The wait after `failures` failures, without jitter, in (fractional)
    /// milliseconds; may be huge or infinite, the policy caps it.
    func milliseconds(afterFailures failures: Int) -> Double {
        let start = Swift.max(0, interval.milliseconds)
        switch self {
        case .constant:
            return start
        case .exponential:
            // Past 2^64 every non-zero start is far over any cap; stopping
            // there also keeps 0 * infinity (NaN) out of the result.
            return start * pow(2, Double(Swift.min(failures, 64)))
        case .exponentialSubsecond:
            return pow(start, Double(failures) / 16 + 1)
        }
    }
}

extension Duration {
    /// The duration in milliseconds, with its fraction.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
