/// A problem with a YAML document, located so that a user can fix it.
///
/// Public and constructible so that code which validates a loaded tree can
/// report its own mistakes in the same `FILE:LINE:COLUMN: message` form.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    /// The file path, or a name such as "plugin configuration".
    public let source: String
    /// Where the problem is; nil when it concerns the input as a whole
    /// (an unreadable file, an input over the size limit).
    public let mark: YAMLMark?
    public let message: String

    public init(source: String, mark: YAMLMark?, message: String) {
        self.source = source
        self.mark = mark
        self.message = message
    }

    public var description: String {
        if let mark {
            return "\(source):\(mark.line):\(mark.column): \(message)"
        }
        return "\(source): \(message)"
    }
}

/// A located problem before we know which source it belongs to: the parsing
/// layers do not need to carry the source name around.
struct YAMLProblem: Error {
    let mark: YAMLMark?
    let message: String

    func error(in source: String) -> YAMLError {
        YAMLError(source: source, mark: mark, message: message)
    }
}
