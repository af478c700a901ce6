import CLibYAML

/// Turns libyaml's terse error state into a located message that says what
/// is wrong and what to do about it.
///
/// The problems users actually hit (tabs, unclosed quotes, bad indentation,
/// a stray `: ` in a value, bad bytes) get their own wording; anything else
/// keeps libyaml's text with its context, which is still accurate.
enum LibYAMLErrorMessages {
    static func problem(for parser: yaml_parser_t, in source: SourceText) -> YAMLProblem {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        let context = parser.context.map { String(cString: $0) }
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLProblem(mark: nil, message: "out of memory while parsing YAML")
        case YAML_READER_ERROR:
            let mark = source.mark(atByteOffset: parser.problem_offset)
            return YAMLProblem(mark: mark, message: readerMessage(problem, value: parser.problem_value))
        default:
            let mark = oneBased(parser.problem_mark)
            let contextMark = oneBased(parser.context_mark)
            return syntaxProblem(
                problem, at: mark, context: context, contextMark: contextMark,
                character: source.character(at: mark)
            )
        }
    }

    private static func readerMessage(_ problem: String, value: Int32) -> String {
        if problem == "control characters are not allowed" {
            return "control character \(unicodeName(value)) is not allowed in YAML; remove it or write it as an escape in a double-quoted string"
        }
        if problem.contains("UTF-8") {
            let byte = value >= 0 && value <= 0xFF ? " (byte \(hex(value)))" : ""
            return "invalid UTF-8: \(problem)\(byte); save the file as UTF-8 text"
        }
        return problem
    }

    private static func syntaxProblem(
        _ problem: String, at mark: YAMLMark, context: String?, contextMark: YAMLMark,
        character: Unicode.Scalar?
    ) -> YAMLProblem {
        let opened = "line \(contextMark.line), column \(contextMark.column)"
        switch (problem, context) {
        case ("found character that cannot start any token", _) where character == "\t",
             ("found a tab character that violates indentation", _),
             ("found a tab character where an indentation space is expected", _):
            return YAMLProblem(mark: mark, message: "found a tab character where indentation is expected; indent YAML with spaces, not tabs")
        case ("found character that cannot start any token", _):
            let shown = character.map { "'\($0)'" } ?? "a character"
            return YAMLProblem(mark: mark, message: "found \(shown), which cannot start a value; put the value in quotes")
        case ("found unexpected end of stream", "while scanning a quoted scalar"):
            // Point at the opening quote: the end of the file says nothing.
            return YAMLProblem(mark: contextMark, message: "this quoted string is never closed (the file ends first); add the closing quote")
        case ("mapping values are not allowed in this context", _):
            return YAMLProblem(mark: mark, message: "unexpected ':' here; check the indentation, or quote a value that contains ': '")
        case ("did not find expected key", "while parsing a block mapping"):
            return YAMLProblem(mark: mark, message: "bad indentation: expected a key of the mapping that starts at \(opened); align it with that mapping's keys")
        case ("did not find expected '-' indicator", "while parsing a block collection"):
            return YAMLProblem(mark: mark, message: "bad indentation: expected a '- ' item of the list that starts at \(opened); align it with that list's items")
        case ("could not find expected ':'", "while scanning a simple key"):
            return YAMLProblem(mark: mark, message: "expected ':' after the key that starts at \(opened); a mapping entry is 'key: value'")
        case ("did not find expected ',' or ']'", _):
            return YAMLProblem(mark: mark, message: "expected ',' or ']' in the list opened at \(opened); is a ']' missing?")
        case ("did not find expected ',' or '}'", _):
            return YAMLProblem(mark: mark, message: "expected ',' or '}' in the mapping opened at \(opened); is a '}' missing?")
        case ("did not find expected alphabetic or numeric character", "while scanning an anchor"),
             ("did not find expected alphabetic or numeric character", "while scanning an alias"):
            return YAMLProblem(mark: contextMark, message: "this anchor or alias has no valid name; write '&name' and '*name' with letters, digits, '-' or '_'")
        case ("found undefined tag handle", _):
            return YAMLProblem(mark: mark, message: "unknown tag handle; quote the value if its '!' is meant literally")
        case ("did not find expected <document start>", _):
            return YAMLProblem(mark: mark, message: "unexpected content after the end of the document ('...'); the file must hold exactly one YAML document")
        default:
            if let context {
                return YAMLProblem(mark: mark, message: "\(problem) (\(context) at \(opened))")
            }
            return YAMLProblem(mark: mark, message: problem)
        }
    }

    private static func oneBased(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func unicodeName(_ value: Int32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits
    }

    private static func hex(_ value: Int32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + (digits.count < 2 ? "0" + digits : digits)
    }
}
