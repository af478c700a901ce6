/// A one-line flow rendering (`{a: [1, "x"]}`) for debugging and tests.
///
/// Built with an explicit work stack rather than recursion, so rendering a
/// tree never uses stack in proportion to its depth.
extension YAMLNode: CustomStringConvertible {
    public var description: String {
        enum Step {
            case node(YAMLNode)
            case text(String)
        }
        var output = ""
        var steps: [Step] = [.node(self)]
        while let step = steps.popLast() {
            switch step {
            case .text(let text):
                output += text
            case .node(let node):
                if let tag = node.tag {
                    output += "!<\(tag)> "
                }
                switch node.content {
                case .scalar(let text, let style):
                    output += style == .plain ? text : Self.doubleQuoted(text)
                case .sequence(let items):
                    // Pushed in reverse so they pop in document order.
                    steps.append(.text("]"))
                    for index in items.indices.reversed() {
                        steps.append(.node(items[index]))
                        if index > items.startIndex { steps.append(.text(", ")) }
                    }
                    steps.append(.text("["))
                case .mapping(let pairs):
                    steps.append(.text("}"))
                    for index in pairs.indices.reversed() {
                        steps.append(.node(pairs[index].value))
                        steps.append(.text(": "))
                        steps.append(.node(pairs[index].key))
                        if index > pairs.startIndex { steps.append(.text(", ")) }
                    }
                    steps.append(.text("{"))
                }
            }
        }
        return output
    }

    private static func doubleQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    quoted += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }
}
