import Foundation
import Testing
@testable import CacheCore

/// A corpus of broken and malicious cache files. Each must end in a clear error that names the
/// file and the position, never a crash, a hang or a huge allocation.
@Suite("Hostile cache files")
struct HostileConfigurationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// A fragment the message must contain.
        let expected: String
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ expected: String) {
            self.init(name, Array(text.utf8), expected)
        }

        init(_ name: String, _ bytes: [UInt8], _ expected: String) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
        }
    }

    static let billionLaughs: String = {
        var lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        let names = ["b", "c", "d", "e", "f", "g", "h", "i", "j"]
        var previous = "a"
        for name in names {
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]")
            previous = name
        }
        lines.append("dependencies: *j")
        return lines.joined(separator: "\n")
    }()

    static let cases: [Case] = [
        Case("tab indentation", "dependencies:\n\t- id: a\n", "tab"),
        Case("unclosed quote", "dependencies:\n  - id: \"a\n    key: k\n", "quote"),
        Case("duplicate key", "dependencies:\n  - id: a\n    id: b\n    key: k\n    paths: [x]\n", "id"),
        Case("null paths", "dependencies:\n  - id: a\n    key: k\n    paths: ~\n", "null"),
        Case("paths is a number", "dependencies:\n  - id: a\n    key: k\n    paths: 5\n", "must be a list of strings"),
        Case("dependencies is a mapping", "dependencies:\n  id: a\n", "must be a list"),
        Case("alias bomb", billionLaughs, "alias"),
        Case("deep flow nesting", "dependencies: " + String(repeating: "[", count: 20_000), "deep"),
        Case("deep block nesting", (0..<400).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n"), "deep"),
        Case("invalid UTF-8", Array("dependencies:\n  - id: ".utf8) + [0xC3, 0x28] + Array("\n".utf8), "UTF-8"),
        Case("unknown template function", "dependencies:\n  - id: a\n    key: '{{ shell \"rm -rf /\" }}'\n    paths: [x]\n", "shell"),
        Case("root path", "dependencies:\n  - id: a\n    key: k\n    paths: [/]\n", "whole home"),
        Case("home path", "dependencies:\n  - id: a\n    key: k\n    paths: ['~']\n", "whole home"),
        Case("checkout path", "dependencies:\n  - id: a\n    key: k\n    paths: [.]\n", "whole home"),
        Case("two documents", "dependencies: []\n---\ndependencies: []\n", "document"),
        Case("merge of a scalar", "base: &b 1\ndependencies:\n  - <<: *b\n", "merge"),
        Case("unknown top-level key", "dependencies: []\nsecrets: {}\n", "unknown key 'secrets'"),
        Case("list as a key", "dependencies:\n  - ? [a, b]\n    : 1\n", "keys"),
        Case("id with a slash", "dependencies:\n  - id: ../a\n    key: k\n    paths: [x]\n", "letters, digits and _"),
        Case("unknown alias", "dependencies: *nothing\n", "alias"),
        Case("control character", "dependencies:\n  - id: a\u{7}\n", "control"),
        Case("two fallback limits", "caches:\n  - name: a\n    cache_key: [{agent: os, fallback_limit: true}, {agent: arch, fallback_limit: true}]\n    target_paths: [x]\n", "only one part"),
    ]

    @Test(arguments: cases)
    func isRejectedWithFileAndPosition(_ hostile: Case) throws {
        let scratch = try Scratch()
        let path = scratch.path + "/cache.yml"
        try Data(hostile.bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: ConfigurationError.self) {
            _ = try CacheFile.load(path: path, displayName: ".buildkite/cache.yml")
        }
        #expect(error.source == ".buildkite/cache.yml")
        #expect(error.mark != nil, "no position in: \(error)")
        #expect(error.description.lowercased().contains(hostile.expected.lowercased()), "message was: \(error)")
    }

    @Test func anOversizedFileIsRefusedBeforeParsing() throws {
        let scratch = try Scratch()
        let path = scratch.path + "/cache.yml"
        let line = "# " + String(repeating: "x", count: 1_000) + "\n"
        try Data(String(repeating: line, count: 20_000).utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: ConfigurationError.self) {
            _ = try CacheFile.load(path: path, displayName: "big.yml")
        }
        #expect(error.source == "big.yml")
        #expect(error.description.contains("big.yml"))
    }

    @Test func aChecksumOfAMissingFileNamesThePatternAtResolveTime() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", "dependencies:\n  - id: a\n    key: '{{ checksum \"missing/*.lock\" }}'\n    paths: [x]\n")
        let environment = jobEnvironment(scratch)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let error = try #require(throws: ConfigurationError.self) {
            _ = try ResolvedCache.resolveAll(configuration, environment: environment)
        }
        // At the key that holds the checksum, not just the start of the definition.
        #expect(error.description.hasPrefix(".buildkite/cache.yml:3:10:"))
        #expect(error.message.contains("missing/*.lock"))
    }
}
