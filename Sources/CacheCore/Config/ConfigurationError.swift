import CacheYAML

/// A mistake in what the user wrote, reported the way compilers do (`FILE:LINE:COLUMN: message`) so
/// that an editor or a human can jump straight to it. The source is a file path or a name such as
/// "plugin configuration" for options that arrived through the agent's environment.
///
/// Options from the environment are JSON the agent wrote, not text the user typed: a column of it
/// points nowhere the user can find. For those the error names the option path instead
/// (`caches[0].fallback_keys`, see `OptionPaths`), which is what the user wrote in pipeline.yml.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let source: String
    public let mark: YAMLMark?
    public let message: String
    /// Where in the plugin options the mistake is, when they came from the environment.
    public let optionPath: String?

    public init(source: String, mark: YAMLMark?, message: String, optionPath: String? = nil) {
        self.source = source
        self.mark = mark
        self.message = message
        self.optionPath = optionPath
    }

    public init(_ error: YAMLError) {
        self.init(source: error.source, mark: error.mark, message: error.message)
    }

    public var description: String {
        if let optionPath { return "\(source), option \(optionPath): \(message)" }
        guard let mark else { return "\(source): \(message)" }
        return "\(source):\(mark.line):\(mark.column): \(message)"
    }
}
