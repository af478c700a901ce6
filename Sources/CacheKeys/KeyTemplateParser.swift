/// A piece of a parsed template: text copied as is, or an action with the column it starts at
/// (kept for render-time errors such as a checksum that matches nothing).
enum KeyTemplatePart: Sendable {
    case text(String)
    case action(KeyExpression, column: Int)
}

/// Parses the Go-template-like key language: text with `{{ name "arg" ... }}` actions, `{{-`/`-}}`
/// trim markers and `{{/* comments */}}`. The syntax is a deliberate subset of Go's `text/template`
/// (what the Buildkite agent uses), so a key written for the agent parses the same here; the names
/// that other caches offer are accepted too (see `KeyFunctions`).
struct KeyTemplateParser {
    private let template: String
    private let characters: [Character]
    private var index = 0

    init(_ template: String) {
        self.template = template
        self.characters = Array(template)
    }

    private struct Token {
        enum Kind { case name, quoted }
        var kind: Kind
        var value: String
        var column: Int
    }

    mutating func parse() throws(KeyTemplateError) -> [KeyTemplatePart] {
        var parts: [KeyTemplatePart] = []
        var text = ""
        var trimNextText = false
        while index < characters.count {
            if starts(with: "{{") {
                let open = index
                index += 2
                if starts(with: "-"), index + 1 < characters.count, characters[index + 1].isWhitespace {
                    text = String(text.reversed().drop(while: \.isWhitespace).reversed())
                    index += 1
                }
                if !text.isEmpty { parts.append(.text(text)) }
                text = ""
                let (expression, trimAfter) = try parseAction(openedAt: open)
                if let expression { parts.append(.action(expression, column: open + 1)) }
                trimNextText = trimAfter
                continue
            }
            if starts(with: "}}") {
                throw error("'}}' without an opening '{{'; to put '}}' in a key write {{ \"}}\" }}", at: index)
            }
            if trimNextText, characters[index].isWhitespace, text.isEmpty {
                index += 1
                continue
            }
            trimNextText = false
            text.append(characters[index])
            index += 1
        }
        if !text.isEmpty { parts.append(.text(text)) }
        return parts
    }

    /// From just after `{{` (and its trim marker) through `}}`. Returns nil for a comment, and
    /// whether the action ends with the `-}}` trim marker.
    private mutating func parseAction(openedAt open: Int) throws(KeyTemplateError) -> (KeyExpression?, Bool) {
        skipWhitespace()
        if starts(with: "/*") {
            guard let end = find("*/") else {
                throw error("the comment that starts here is never closed with '*/'", at: index)
            }
            index = end + 2
            return (nil, try closeAction(openedAt: open))
        }
        var tokens: [Token] = []
        while true {
            skipWhitespace()
            guard index < characters.count else {
                throw error("'{{' is never closed with '}}'", at: open)
            }
            if starts(with: "}}") || (starts(with: "-}}") && index > 0 && characters[index - 1].isWhitespace) {
                break
            }
            let character = characters[index]
            if character == "\"" || character == "'" || character == "`" {
                tokens.append(try parseQuoted())
            } else if starts(with: "{{") {
                throw error("'{{' inside an action; close the action that starts at column \(open + 1) with '}}' first", at: index)
            } else {
                tokens.append(parseWord())
            }
        }
        let trimAfter = try closeAction(openedAt: open)
        guard let first = tokens.first else {
            throw error("empty action '{{ }}'; put a name in it, e.g. {{ id }} (known: \(KeyFunctions.summary))", at: open)
        }
        switch first.kind {
        case .quoted:
            if tokens.count > 1 {
                throw error("a quoted string must be alone in its action; to call a function, start with its name", at: tokens[1].column - 1)
            }
            return (.literal(first.value), trimAfter)
        case .name:
            var arguments: [(value: String, column: Int)] = []
            for token in tokens.dropFirst() {
                guard token.kind == .quoted else {
                    throw error("the argument '\(token.value)' of '\(first.value)' must be quoted, e.g. \"\(token.value)\"", at: token.column - 1)
                }
                arguments.append((token.value, token.column))
            }
            return (try KeyFunctions.expression(named: first.value, column: first.column,
                                                arguments: arguments, template: template), trimAfter)
        }
    }

    /// Consumes optional whitespace, an optional `-` trim marker and the closing `}}`.
    private mutating func closeAction(openedAt open: Int) throws(KeyTemplateError) -> Bool {
        skipWhitespace()
        var trim = false
        if starts(with: "-}}"), index > 0, characters[index - 1].isWhitespace {
            trim = true
            index += 1
        }
        guard starts(with: "}}") else {
            if index >= characters.count { throw error("'{{' is never closed with '}}'", at: open) }
            throw error("expected '}}' to close the action that starts at column \(open + 1)", at: index)
        }
        index += 2
        return trim
    }

    /// `"..."` (escapes `\"` and `\\`), `'...'` (escapes `\'` and `\\`) or `` `...` `` (raw).
    /// Any other backslash is kept, so a glob escape such as `"\*"` reaches the glob unchanged.
    private mutating func parseQuoted() throws(KeyTemplateError) -> Token {
        let start = index
        let quote = characters[index]
        index += 1
        var value = ""
        while index < characters.count {
            let character = characters[index]
            if character == quote {
                index += 1
                return Token(kind: .quoted, value: value, column: start + 1)
            }
            if character == "\\", quote != "`", index + 1 < characters.count,
               characters[index + 1] == quote || characters[index + 1] == "\\" {
                value.append(characters[index + 1])
                index += 2
                continue
            }
            value.append(character)
            index += 1
        }
        throw error("the quoted argument that starts here is never closed; add a closing \(quote)", at: start)
    }

    /// An unquoted word: a name such as `agent.os`, or a mistake such as an unquoted file name,
    /// which is read whole so the error can quote it back.
    private mutating func parseWord() -> Token {
        let start = index
        var word = ""
        while index < characters.count, !characters[index].isWhitespace, !starts(with: "}}"), !starts(with: "{{"),
              !"\"'`".contains(characters[index]) {
            word.append(characters[index])
            index += 1
        }
        return Token(kind: .name, value: word, column: start + 1)
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = index
        while index < characters.count, characters[index].isWhitespace { index += 1 }
        return index > start
    }

    private func starts(with prefix: String) -> Bool {
        var position = index
        for character in prefix {
            guard position < characters.count, characters[position] == character else { return false }
            position += 1
        }
        return true
    }

    private func find(_ needle: String) -> Int? {
        var position = index
        let count = needle.count
        while position + count <= characters.count {
            if String(characters[position..<(position + count)]) == needle { return position }
            position += 1
        }
        return nil
    }

    private func error(_ message: String, at offset: Int) -> KeyTemplateError {
        KeyTemplateError(message: message, template: template, column: offset + 1)
    }
}
