#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A retry override in the plugin options that cannot be used.
///
/// The message names the option and the bad value; the config layer adds the
/// file and line where it was written.
public struct RetryPolicyError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The options a team can override, named as in the plugin options.
    public enum Option: String, Sendable, Equatable {
        case attempts, strategy, interval, jitter
    }

    /// The option that is wrong; nil when a duration was parsed on its own.
    public let option: Option?
    public let message: String

    public init(option: Option?, message: String) {
        self.option = option
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
