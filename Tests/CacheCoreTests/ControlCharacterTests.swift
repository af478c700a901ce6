import Foundation
import Testing
@testable import CacheCore

/// A key is data from branch names, environment values and shared stores. A carriage return and
/// line feed in it once became an export line of its own (`PATH=…`, `BASH_ENV=…`) in the job.
@Suite("Control characters in keys, entries and the export file")
struct ControlCharacterTests {
    @Test func aBranchWithALineBreakInAKeyIsAConfigurationErrorAtTheTemplate() throws {
        let scratch = try Scratch()
        let json = #"{"caches":[{"id":"deps","key":"deps-{{ git.branch }}","paths":["node_modules"]}]}"#
        let environment = jobEnvironment(scratch, configuration: json,
                                         extra: ["BUILDKITE_BRANCH": "feature\r\nBASH_ENV=/tmp/attacker.sh"])
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let error = try #require(throws: ConfigurationError.self) {
            try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        }
        #expect(error.message.contains(#"deps-feature\u{D}\u{A}BASH_ENV=/tmp/attacker.sh"#))
        #expect(error.message.contains("control character"))
        // The position of the "key" value, not of the definition.
        #expect(error.mark?.column == 31)
        #expect(!error.description.contains("\n"))
    }

    @Test func aLiteralKeyWithALineBreakIsRefusedAndSoIsAFallback() throws {
        let scratch = try Scratch()
        for json in [#"{"caches":[{"id":"deps","key":"deps-v2\r\nPATH=/tmp/evil:/usr/bin:/bin","paths":["x"]}]}"#,
                     #"{"caches":[{"id":"deps","key":"deps","fallback_keys":["ok","deps-\u001b[31m"],"paths":["x"]}]}"#,
                     #"{"caches":[{"name":"deps","cache_key":["v1",{"env":"EVIL"}],"target_paths":["x"]}]}"#] {
            let environment = jobEnvironment(scratch, configuration: json, extra: ["EVIL": "a\u{85}b"])
            let configuration = try #require(try ConfigurationLoader.load(environment))
            #expect(throws: ConfigurationError.self) {
                try ResolvedCache.resolve(configuration.caches[0], environment: environment)
            }
        }
    }

    @Test(arguments: ["key", "platform", "branch", "format", "job", "members"])
    func anEntryWithAControlCharacterInAnyStringIsNotData(field: String) throws {
        let entry = CacheEntry(key: "deps-1", digest: String(repeating: "a", count: 64), size: 1, created: Date(timeIntervalSince1970: 1_700_000_000),
                               platform: "linux/amd64", members: ["checkout/x"], branch: "main", job: "j")
        var object = try #require(try JSONSerialization.jsonObject(with: entry.encoded()) as? [String: Any])
        #expect(CacheEntry.readable(from: try JSONSerialization.data(withJSONObject: object)) == entry)
        let hostile = "deps-\r\nPATH=/tmp/evil\r\nLD_PRELOAD=/tmp/evil.so"
        object[field] = field == "members" ? ["checkout/x", hostile] : hostile
        #expect(CacheEntry.readable(from: try JSONSerialization.data(withJSONObject: object)) == nil)
    }

    @Test func aPoisonedEntryInASharedStoreIsAMissThroughAFallbackKey() async throws {
        let scratch = try Scratch()
        let store = FileStore(root: scratch.path + "/store")
        let scope = StoreScope(organization: "acme", pipeline: "web", branch: "main")
        let poisoned = CacheEntry(key: "deps-\r\nPATH=/tmp/evil\r\nLD_PRELOAD=/tmp/evil.so",
                                  digest: String(repeating: "b", count: 64), size: 1, created: Date(),
                                  platform: "linux/amd64", members: ["checkout/x"], branch: "main", job: nil)
        // Written the way an attacker with write access would: straight into the entries folder.
        let path = store.entryPath(key: "deps-x", scope: scope)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try poisoned.encoded().write(to: URL(fileURLWithPath: path))
        #expect(try await store.newestEntry(prefix: "deps-", scope: scope) == nil)
    }

    /// Whatever a matched key holds, the file splits into exactly the lines written, each of the
    /// documented form.
    @Test func randomKeysThroughTheWriterNeverMakeAnotherLine() throws {
        var generator = SeededRandom(seed: 16)
        let scratch = try Scratch()
        let environment = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"k","paths":["x"]}]}"#)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let cache = try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        let pieces = ["\r\n", "\n", "\r", "=", "PATH=", "\u{85}", "\u{2028}", "é", "\u{1B}", "\u{7F}", "a", " ", "\0"]
        for _ in 0..<2000 {
            var key = ""
            for _ in 0..<Int(generator.next() % 12) {
                if generator.next() % 3 == 0 {
                    key.unicodeScalars.append(Unicode.Scalar(UInt8(generator.next() % 256)))
                } else {
                    key += pieces[Int(generator.next() % UInt64(pieces.count))]
                }
            }
            let (lines, refused) = ExportFile.lines(for: [RestoreResult(cache: cache, outcome: .fallback(matchedKey: key))])
            let text = lines.map { $0 + "\n" }.joined()
            let split = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
            #expect(split.count == lines.count)
            for line in split {
                let string = String(decoding: line, as: UTF8.self)
                let name = String(string.prefix { $0 != "=" })
                #expect(ExportFile.isExportable(name: name, value: String(string.dropFirst(name.count + 1))))
                #expect(!line.contains(0x0D))
            }
            #expect(refused.isEmpty == !key.containsControlCharacters)
        }
    }
}
