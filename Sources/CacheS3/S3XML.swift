/// Just enough XML for S3's answers (ListObjectsV2, InitiateMultipartUpload, Error): elements,
/// text, the five named entities and numeric ones, CDATA, comments and the `<?xml?>` prolog.
/// Attributes are read past and dropped; namespace prefixes are dropped from names.
///
/// Ours rather than FoundationXML so the binaries do not need libxml2 at run time on agent hosts.
/// Anything it does not understand is an error, which the client reports as an unreadable (so
/// retryable) response: an HTML page from a proxy fails here.
struct S3XMLNode: Sendable, Equatable {
    var name: String
    var children: [S3XMLNode] = []
    var text: String = ""

    func first(_ name: String) -> S3XMLNode? { children.first { $0.name == name } }
    func all(_ name: String) -> [S3XMLNode] { children.filter { $0.name == name } }
    /// The text of the first child called `name`.
    func value(_ name: String) -> String? { first(name)?.text }

    static func parse(_ bytes: [UInt8]) throws(S3XMLError) -> S3XMLNode {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }
}

struct S3XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    let offset: Int
    let reason: String
    var description: String { "malformed XML at byte \(offset): \(reason)" }
}

private struct Parser {
    let bytes: [UInt8]
    var index = 0
    /// Far deeper than any S3 answer; a bound so hostile input cannot exhaust the stack.
    static let maximumDepth = 32

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ reason: String) -> S3XMLError { S3XMLError(offset: index, reason: reason) }

    mutating func document() throws(S3XMLError) -> S3XMLNode {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        try skipMisc()
        guard peek() == UInt8(ascii: "<") else { throw fail("expected the root element") }
        let root = try element(depth: 0)
        try skipMisc()
        guard index == bytes.count else { throw fail("content after the root element") }
        return root
    }

    func peek(_ offset: Int = 0) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

    func startsHere(_ text: String) -> Bool {
        let pattern = Array(text.utf8)
        return index + pattern.count <= bytes.count && Array(bytes[index ..< index + pattern.count]) == pattern
    }

    mutating func skip(past terminator: String) throws(S3XMLError) {
        let pattern = Array(terminator.utf8)
        while index + pattern.count <= bytes.count {
            if Array(bytes[index ..< index + pattern.count]) == pattern { index += pattern.count; return }
            index += 1
        }
        throw fail("unterminated construct, expected \(terminator)")
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    /// Whitespace, comments and processing instructions between elements.
    mutating func skipMisc() throws(S3XMLError) {
        while true {
            skipWhitespace()
            if startsHere("<?") { try skip(past: "?>") } else if startsHere("<!--") { try skip(past: "-->") } else { return }
        }
    }

    mutating func name() throws(S3XMLError) -> String {
        let start = index
        while let byte = peek(), !(byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")) {
            index += 1
        }
        guard index > start else { throw fail("expected a name") }
        let full = String(decoding: bytes[start ..< index], as: UTF8.self)
        return full.split(separator: ":").last.map(String.init) ?? full
    }

    mutating func element(depth: Int) throws(S3XMLError) -> S3XMLNode {
        guard depth < Self.maximumDepth else { throw fail("nested too deeply") }
        index += 1  // "<"
        var element = S3XMLNode(name: try name())
        // Attributes: read past them, honouring quotes so a '>' inside a value does not end the tag.
        while true {
            skipWhitespace()
            guard let byte = peek() else { throw fail("unterminated tag <\(element.name)>") }
            if byte == UInt8(ascii: "/") {
                guard peek(1) == UInt8(ascii: ">") else { throw fail("expected '/>'") }
                index += 2
                return element
            }
            if byte == UInt8(ascii: ">") { index += 1; break }
            _ = try name()
            skipWhitespace()
            guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' in an attribute of <\(element.name)>") }
            index += 1
            skipWhitespace()
            guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw fail("expected a quoted attribute value")
            }
            index += 1
            while let next = peek(), next != quote { index += 1 }
            guard peek() == quote else { throw fail("unterminated attribute value") }
            index += 1
        }
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw fail("unterminated element <\(element.name)>") }
            if byte == UInt8(ascii: "<") {
                if startsHere("</") {
                    index += 2
                    let closing = try name()
                    guard closing == element.name else { throw fail("</\(closing)> closes <\(element.name)>") }
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ">") else { throw fail("expected '>'") }
                    index += 1
                    element.text = String(decoding: text, as: UTF8.self)
                    return element
                } else if startsHere("<!--") {
                    try skip(past: "-->")
                } else if startsHere("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text += bytes[start ..< index - 3]
                } else if startsHere("<?") {
                    try skip(past: "?>")
                } else if startsHere("<!") {
                    throw fail("declarations (<!DOCTYPE …>) are not accepted")
                } else {
                    element.children.append(try self.element(depth: depth + 1))
                }
            } else if byte == UInt8(ascii: "&") {
                text += Array(try entity().utf8)
            } else {
                text.append(byte)
                index += 1
            }
        }
    }

    mutating func entity() throws(S3XMLError) -> String {
        let start = index
        guard let end = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("unterminated entity") }
        let body = String(decoding: bytes[(start + 1) ..< end], as: UTF8.self)
        index = end + 1
        switch body {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            let number: UInt32?
            if body.hasPrefix("#x") || body.hasPrefix("#X") {
                number = UInt32(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("#") {
                number = UInt32(body.dropFirst(), radix: 10)
            } else {
                number = nil
            }
            guard let number, let scalar = Unicode.Scalar(number) else {
                index = start
                throw fail("unknown entity &\(body);")
            }
            return String(Character(scalar))
        }
    }
}
