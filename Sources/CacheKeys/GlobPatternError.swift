/// A pattern that cannot be parsed, with the 1-based column (in characters of the pattern) where
/// the problem is.
public struct GlobPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let pattern: String
    public let column: Int

    public var description: String {
        "invalid glob pattern '\(pattern)' at column \(column): \(message)"
    }
}
