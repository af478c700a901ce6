/// A shell-style pattern over `/`-separated paths, as written in `{{ checksum "..." }}`.
///
/// Syntax: `*` (any run within one path component), `?` (one character), `[abc]`, `[a-z]`,
/// `[!x]` / `[^x]` (one character in / not in a set), `{a,b}` (alternatives, nestable, may span
/// `/`), `**` as a whole component (zero or more components), and `\` to take the next character
/// literally. Wildcards never match `/`.
///
/// Choices where shells differ: `*`, `?` and `**` also match names that start with a dot, because
/// lock files and tool folders such as `.yarn/` are exactly what people checksum; `.` components
/// and repeated slashes are ignored, so `./package.json` and `package.json` are the same pattern.
public struct GlobPattern: Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String

    /// True when the pattern has no (unescaped) metacharacters: it names exactly one path.
    public let isLiteral: Bool

    /// The brace-expanded forms; a pattern without braces has exactly one.
    let alternatives: [GlobPath]

    /// Brace expansion is multiplicative; a bound keeps a pathological pattern from exhausting
    /// memory before the walk even starts.
    static let maximumAlternatives = 1024

    public init(_ pattern: String) throws(GlobPatternError) {
        var parser = GlobParser(pattern)
        let parsed = try parser.parse()
        self.text = pattern
        self.isLiteral = !parsed.usedMetacharacters
        self.alternatives = parsed.alternatives
    }

    /// Whether `relativePath` (components separated by `/`) is matched. An absolute pattern only
    /// matches an absolute path, and a relative one only a relative path.
    public func matches(_ relativePath: String) -> Bool {
        // Split on Unicode scalars, as the parser does: a `/` followed by a combining mark is one
        // `Character`, which a `Character`-wise split would not treat as a separator.
        let scalars = relativePath.unicodeScalars
        let isAbsolute = scalars.first == "/"
        let names = scalars.split(separator: "/", omittingEmptySubsequences: true)
            .map { String(String.UnicodeScalarView($0)) }
            .filter { $0 != "." }
        return alternatives.contains { $0.isAbsolute == isAbsolute && $0.matches(names) }
    }

    /// For a literal pattern, the path it names (escapes removed, `.` components dropped).
    var literalPath: String? {
        guard isLiteral, let only = alternatives.first else { return nil }
        return only.literalText
    }

    public var description: String { text }
}

/// One brace-free alternative of a pattern, split into components.
struct GlobPath: Sendable {
    var isAbsolute: Bool
    var segments: [GlobSegment]

    /// The components up to the first wildcard: the walk starts there instead of at the root.
    var literalPrefix: [String] {
        var names: [String] = []
        for segment in segments {
            guard case .literal(let name) = segment else { break }
            names.append(name)
        }
        return names
    }

    var literalText: String {
        let names = segments.compactMap { segment -> String? in
            if case .literal(let name) = segment { return name }
            return nil
        }
        return (isAbsolute ? "/" : "") + names.joined(separator: "/")
    }

    /// Component-wise match with `**` spanning any number of components, by dynamic programming
    /// so that several `**` in one pattern cannot make it exponential.
    func matches(_ names: [String]) -> Bool {
        let scalarNames = names.map { Array($0.unicodeScalars) }
        let segmentCount = segments.count, nameCount = names.count
        // row[n]: does segments[s...] match names[n...]? Computed from the last segment backwards.
        var next = [Bool](repeating: false, count: nameCount + 1)
        next[nameCount] = true
        for s in stride(from: segmentCount - 1, through: 0, by: -1) {
            var row = [Bool](repeating: false, count: nameCount + 1)
            for n in stride(from: nameCount, through: 0, by: -1) {
                switch segments[s] {
                case .globstar:
                    row[n] = next[n] || (n < nameCount && row[n + 1])
                default:
                    row[n] = n < nameCount && next[n + 1] && segments[s].matches(scalarNames[n])
                }
            }
            next = row
        }
        return next[0]
    }
}

/// One path component of a pattern.
enum GlobSegment: Sendable {
    case literal(String)
    case wildcard([GlobToken])
    /// `**` on its own: zero or more whole components.
    case globstar

    func matches(_ name: [Unicode.Scalar]) -> Bool {
        switch self {
        case .literal(let text): return Array(text.unicodeScalars) == name
        case .wildcard(let tokens): return GlobToken.match(tokens, name)
        case .globstar: return true
        }
    }
}

enum GlobToken: Sendable, Equatable {
    case scalar(Unicode.Scalar)
    case anyScalar
    case anyRun
    case set(GlobScalarSet)

    /// Classic greedy match with one backtrack point per `*`: linear in practice, no recursion.
    static func match(_ tokens: [GlobToken], _ name: [Unicode.Scalar]) -> Bool {
        var t = 0, n = 0
        var starToken = -1, starName = 0
        while n < name.count {
            if t < tokens.count {
                switch tokens[t] {
                case .anyRun:
                    starToken = t; starName = n; t += 1
                    continue
                case .anyScalar:
                    t += 1; n += 1
                    continue
                case .scalar(let s) where s == name[n]:
                    t += 1; n += 1
                    continue
                case .set(let set) where set.contains(name[n]):
                    t += 1; n += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            starName += 1
            n = starName
            t = starToken + 1
        }
        while t < tokens.count, tokens[t] == .anyRun { t += 1 }
        return t == tokens.count
    }
}

/// The set inside `[...]`.
struct GlobScalarSet: Sendable, Equatable {
    var negated: Bool
    var ranges: [ClosedRange<Unicode.Scalar>]

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "/" { return false }
        return ranges.contains { $0.contains(scalar) } != negated
    }
}
