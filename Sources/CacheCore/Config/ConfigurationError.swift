import CacheYAML

/// A mistake in what the user wrote, reported the way compilers do (`FILE:LINE:COLUMN: message`) so
/// that an editor or a human can jump straight to it. The source is a file path or a name such as
/// "plugin configuration" for options that arrived through the agent's environment.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let source: String
    public let mark: YAMLMark?
    public let message: String

    public init(source: String, mark: YAMLMark?, message: String) {
        self.source = source
        self.mark = mark
        self.message = message
    }

    public init(_ error: YAMLError) {
        self.init(source: error.source, mark: error.mark, message: error.message)
    }

    public var description: String {
        guard let mark else { return "\(source): \(message)" }
        return "\(source):\(mark.line):\(mark.column): \(message)"
    }
}
