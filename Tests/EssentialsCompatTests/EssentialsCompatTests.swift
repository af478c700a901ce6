import EssentialsCompat
import Foundation
import Testing

/// The stand-ins for full Foundation's string helpers give Foundation's answers: checked against
/// Foundation itself, which the tests (unlike the release binary) link, or its documented examples.
@Suite("FoundationEssentials stand-ins agree with Foundation")
struct EssentialsCompatTests {
    static let texts = [
        "", " ", "\t a b \t", "\n x \r\n", " \u{00A0}nbsp\u{2003}", "\u{2028}line\u{85}", "plain", "[::1]", "[fe80::1%25en0]",
    ]

    @Test("trimming whitespaces", arguments: texts)
    func whitespaces(text: String) {
        #expect(text.trimming(.whitespaces) == text.trimmingCharacters(in: .whitespaces))
    }

    @Test("trimming whitespaces and newlines", arguments: texts)
    func whitespacesAndNewlines(text: String) {
        #expect(text.trimming(.whitespacesAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("trimming a set of scalars, of a substring too")
    func customSet() {
        #expect("[::1]".trimming(["[", "]"]) == "::1")
        #expect("[[]]".trimming(["[", "]"]) == "")
        #expect("a=[b]"[...].dropFirst(2).trimming(["[", "]"]) == "b")
    }

    /// NSString's documented examples (Foundation on Linux is no referee here: its
    /// `deletingLastPathComponent` traps on `/a/b/c` in Swift 6.3.1).
    static let paths: [(path: String, parent: String, last: String)] = [
        ("/tmp/scratch.tiff", "/tmp", "scratch.tiff"), ("/tmp/lock/", "/tmp", "lock"), ("/tmp/", "/", "tmp"),
        ("/tmp", "/", "tmp"), ("/", "/", "/"), ("scratch.tiff", "", "scratch.tiff"), ("scratch///", "", "scratch"),
        ("/a//b", "/a", "b"), ("a/b", "a", "b"), ("", "", ""),
    ]

    @Test("parentPath and lastPathName", arguments: paths)
    func pathNames(example: (path: String, parent: String, last: String)) {
        #expect(example.path.parentPath == example.parent)
        #expect(example.path.lastPathName == example.last)
    }

    /// Go's `filepath.Clean` examples, for absolute paths (what the agent does to its store roots).
    static let cleaned: [(path: String, clean: String)] = [
        ("/a/b/c", "/a/b/c"), ("/a//b", "/a/b"), ("/a/./b/", "/a/b"), ("/a/b/../c", "/a/c"), ("/../a", "/a"),
        ("/..", "/"), ("/", "/"), ("/a/b/../../..", "/"), ("relative/../x", "relative/../x"),
    ]

    @Test("lexicallyCleaned", arguments: cleaned)
    func lexicalClean(example: (path: String, clean: String)) {
        #expect(example.path.lexicallyCleaned == example.clean)
    }

    static let encoded = [
        "", "plain", "a%20b", "%2Fslash%2f", "caf%C3%A9", "100%", "%4", "%zz", "%C3", "%FF%FE", "a+b", "%%41",
    ]

    @Test("percentDecoded", arguments: encoded)
    func percentDecoding(text: String) {
        #expect(text.percentDecoded == text.removingPercentEncoding)
    }
}
