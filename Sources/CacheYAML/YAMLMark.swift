/// A position in a YAML source, 1-based like an editor shows it, so that a
/// message `FILE:LINE:COLUMN: ...` takes the user straight to the spot.
///
/// The column counts Unicode characters, not bytes, matching what libyaml
/// tracks and what an editor's cursor reports.
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line:column`, the form that follows a file name in a diagnostic.
    public var description: String { "\(line):\(column)" }
}
