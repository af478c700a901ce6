import Testing
@testable import CacheCore

@Suite("Numbers in log lines")
struct FormattingTests {
    @Test func countsArePluralisedProperly() {
        #expect(Formatting.count(1, "file") == "1 file")
        #expect(Formatting.count(0, "file") == "0 files")
        #expect(Formatting.count(2, "cache") == "2 caches")
        #expect(Formatting.count(1, "entry", "entries") == "1 entry")
        #expect(Formatting.count(3, "entry", "entries") == "3 entries")
    }

    /// An archive of a tiny or empty tree is larger than its content: never "0.0x".
    @Test func ratiosNeverReadZero() {
        #expect(Formatting.ratio(1024, 0) == "-")
        #expect(Formatting.ratio(10_240, 3) == "<0.1x")
        #expect(Formatting.ratio(100, 50) == "0.5x")
        #expect(Formatting.ratio(100, 171) == "1.7x")
        #expect(Formatting.ratio(0, 10) == "-")
    }

    @Test func aSaveOfOneFileSaysOneFile() throws {
        let scratch = try Scratch()
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"a","key":"k","paths":["x"]}]}"#)
        let cache = try ResolvedCache.resolveAll(try #require(try ConfigurationLoader.load(env)), environment: env)[0]
        var result = SaveResult(cache: cache, outcome: .saved)
        result.files = 1
        result.archiveBytes = 512
        result.contentBytes = 5
        let line = ResultLines.save(result)
        #expect(line.contains("in 1 file,"), "\(line)")
        #expect(line.contains("ratio <0.1x"), "\(line)")
    }
}
