/// Keys, matched keys and every string read back from a store end up in places where a control
/// character changes meaning: an export file line (a line feed starts a new `NAME=VALUE`), a
/// Buildkite log line (a line feed followed by `+++` opens a section), a terminal. So they are
/// checked byte by byte, never by `Character`: in Swift `"\r\n"` is one `Character` and passes a
/// check for `"\n"` or `"\r"` alone.
extension String {
    /// True when any byte is a C0 control (0x00–0x1F) or DEL (0x7F), or any scalar is a C1 control
    /// (U+0080–U+009F), which some terminals also act on.
    public var containsControlCharacters: Bool {
        if utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return true }
        return unicodeScalars.contains { (0x80...0x9F).contains($0.value) }
    }

    /// The text with each control character written as `\u{XX}`, for printing text that came
    /// from outside (a key, a server's answer) without letting it act. `kept` are left as they are.
    public func escapingControlCharacters(keeping kept: Set<Unicode.Scalar> = []) -> String {
        guard containsControlCharacters else { return self }
        var result = ""
        for scalar in unicodeScalars {
            if (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) && !kept.contains(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
