/// Decides, from the template text alone, whether rendering could make `checksum` read outside
/// the empty checkout. Such templates are parsed but not rendered: the fuzzer would otherwise
/// soon write `{{ checksum "/**" }}` or `"../../**"` and hash the whole machine, including files
/// under /proc whose reads block, which is a hang of the harness, not of the code under test.
///
/// Conservative by construction, reasoning on UTF-8 bytes because the glob parser works on
/// Unicode scalars (grapheme clusters could hide a `/` or `.` from a `Character` comparison):
/// - no `checksum` in the text: rendering never touches the file system;
/// - a backslash (glob or quote escapes) or a comma (brace alternatives): give up;
/// - otherwise brace expansion yields the text with the braces removed, so in that text a `..`
///   (a parent component, also when a NUL ends the path early) or a `/` that starts an argument
///   (an absolute path) is the only way out. An argument starts right after a quote character,
///   so a `/` is safe only when the byte before it is ASCII and not a quote.
enum FilesystemGate {
    static func mayReadOutsideCheckout(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard contains(bytes, Array("checksum".utf8)) else { return false }
        if bytes.contains(UInt8(ascii: "\\")) || bytes.contains(UInt8(ascii: ",")) { return true }
        let expanded = bytes.filter { $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: "}") }
        if contains(expanded, Array("..".utf8)) { return true }
        let quotes: Set<UInt8> = [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`")]
        for (index, byte) in expanded.enumerated() where byte == UInt8(ascii: "/") {
            guard index > 0 else { return true }
            let before = expanded[index - 1]
            if before >= 0x80 || quotes.contains(before) { return true }
        }
        return false
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}
