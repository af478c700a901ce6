/// Turns pattern text into brace-expanded, component-split alternatives. Parsing happens once, up
/// front, so a malformed pattern is reported with its column before any file is read.
struct GlobParser {
    private let scalars: [Unicode.Scalar]
    private let text: String
    private var index = 0
    private var usedMetacharacters = false

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    /// A pattern element before components are split: `/` is kept as an element because a brace
    /// alternative may contain it (`{src,test/fixtures}/**`).
    private enum Piece: Equatable {
        case token(GlobToken)
        case separator
    }

    mutating func parse() throws(GlobPatternError) -> (alternatives: [GlobPath], usedMetacharacters: Bool) {
        if scalars.isEmpty {
            throw GlobPatternError(message: "the pattern is empty; name a file such as \"package-lock.json\"",
                                   pattern: text, column: 1)
        }
        let sequences = try parseSequence(depth: 0, openedAt: nil)
        return (sequences.map(Self.split), usedMetacharacters)
    }

    /// Parses until the end of input, or (inside braces) until the `,` or `}` that ends this
    /// alternative, which is left for the caller.
    private mutating func parseSequence(depth: Int, openedAt: Int?) throws(GlobPatternError) -> [[Piece]] {
        var results: [[Piece]] = [[]]
        func append(_ piece: Piece) {
            for i in results.indices { results[i].append(piece) }
        }
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\\":
                guard index + 1 < scalars.count else {
                    throw error("a trailing '\\' escapes nothing; write '\\\\' for a literal backslash", at: index)
                }
                append(.token(.scalar(scalars[index + 1])))
                index += 2
            case "*":
                usedMetacharacters = true
                append(.token(.anyRun))
                index += 1
            case "?":
                usedMetacharacters = true
                append(.token(.anyScalar))
                index += 1
            case "[":
                usedMetacharacters = true
                append(.token(.set(try parseSet())))
            case "/":
                append(.separator)
                index += 1
            case "{":
                usedMetacharacters = true
                let open = index
                index += 1
                var options: [[Piece]] = []
                while true {
                    options += try parseSequence(depth: depth + 1, openedAt: open)
                    guard index < scalars.count else {
                        throw error("'{' is never closed with '}'; escape it as '\\{' to match a literal brace", at: open)
                    }
                    let terminator = scalars[index]
                    index += 1
                    if terminator == "}" { break }
                }
                var combined: [[Piece]] = []
                for prefix in results {
                    for option in options { combined.append(prefix + option) }
                }
                if combined.count > GlobPattern.maximumAlternatives {
                    throw error("the braces expand to more than \(GlobPattern.maximumAlternatives) alternatives; use '*' or '**' instead", at: open)
                }
                results = combined
            case "," where depth > 0, "}" where depth > 0:
                return results
            case "}":
                throw error("'}' without a matching '{'; escape it as '\\}' to match a literal brace", at: index)
            default:
                append(.token(.scalar(scalar)))
                index += 1
            }
        }
        return results
    }

    /// `[...]` starting at `index`. A `]` right after `[` or `[!` is a member, as in shells.
    private mutating func parseSet() throws(GlobPatternError) -> GlobScalarSet {
        let open = index
        index += 1
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        var first = true
        while true {
            guard index < scalars.count else {
                throw error("'[' is never closed with ']'; escape it as '\\[' to match a literal bracket", at: open)
            }
            var low = scalars[index]
            if low == "]" && !first {
                index += 1
                break
            }
            first = false
            if low == "\\" {
                guard index + 1 < scalars.count else {
                    throw error("'[' is never closed with ']'; escape it as '\\[' to match a literal bracket", at: open)
                }
                index += 1
                low = scalars[index]
            }
            index += 1
            var high = low
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                let dash = index
                index += 1
                if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                high = scalars[index]
                index += 1
                guard low <= high else {
                    throw error("the range '\(low)-\(high)' is backwards; write '\(high)-\(low)'", at: dash - 1)
                }
            }
            ranges.append(low...high)
        }
        return GlobScalarSet(negated: negated, ranges: ranges)
    }

    private static func split(_ pieces: [Piece]) -> GlobPath {
        var path = GlobPath(isAbsolute: pieces.first == .separator, segments: [])
        var current: [GlobToken] = []
        func finish() {
            defer { current = [] }
            if current.isEmpty { return }
            if current == [.anyRun, .anyRun] {
                path.segments.append(.globstar)
                return
            }
            var tokens: [GlobToken] = []
            var literal = ""
            var isLiteral = true
            for token in current {
                if token == .anyRun, tokens.last == .anyRun { continue }
                tokens.append(token)
                if case .scalar(let s) = token { literal.unicodeScalars.append(s) } else { isLiteral = false }
            }
            if isLiteral {
                if literal != "." { path.segments.append(.literal(literal)) }
            } else {
                path.segments.append(.wildcard(tokens))
            }
        }
        for piece in pieces {
            switch piece {
            case .separator: finish()
            case .token(let token): current.append(token)
            }
        }
        finish()
        return path
    }

    private func error(_ message: String, at offset: Int) -> GlobPatternError {
        GlobPatternError(message: message, pattern: text, column: offset + 1)
    }
}
