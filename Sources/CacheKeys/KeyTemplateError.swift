/// A key template that cannot be parsed or rendered: what is wrong, the template, and the 1-based
/// column (counted in characters from the start of the template) of the part at fault.
public struct KeyTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let template: String
    public let column: Int

    public init(message: String, template: String, column: Int) {
        self.message = message
        self.template = template
        self.column = column
    }

    /// One line, because callers embed it in their own messages ("cache 'deps': bad key: ...").
    public var description: String {
        "\(message) (at column \(column) of '\(template)')"
    }
}
