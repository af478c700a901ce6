import CacheYAML
import Testing

/// The config layer reports FILE:LINE:COLUMN for every mistake, so every
/// node and every error must carry a 1-based position.
@Suite struct PositionTests {
    @Test func nestedBlockNodesCarryTheirPositions() throws {
        let root = try loadDocument("""
            steps:
              - label: test
                caches:
                  - id: node
                    paths: [a, b]
            """)
        #expect(root.mark == mark(1, 1))
        let steps = try #require(root["steps"])
        #expect(steps.mark == mark(2, 3))
        let step = try #require(steps.sequence?.first)
        #expect(step.mark == mark(2, 5))
        #expect(step["label"]?.mark == mark(2, 12))
        let cache = try #require(step["caches"]?.sequence?.first)
        #expect(cache["id"]?.mark == mark(4, 13))
        let pathKey = try #require(cache.mapping?.last?.key)
        #expect(pathKey.mark == mark(5, 9))
        #expect(cache["paths"]?.sequence?[1].mark == mark(5, 20))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try loadDocument("ключ: [é, x]")
        #expect(root["ключ"]?.sequence?[1].mark == mark(1, 11))
    }

    @Test func syntaxErrorsAreReportedOneBasedWithTheSource() throws {
        let error = try loadError("a: 1\nb: [x, y\nc: 2\n")
        #expect(error.source == "test.yml")
        #expect(error.mark == mark(3, 2))
        #expect(error.message.contains("opened at line 2, column 4"))
        #expect(error.description.hasPrefix("test.yml:3:2: "))
    }

    @Test func readerErrorsAreLocatedFromTheirByteOffset() throws {
        // libyaml gives only a byte offset here; "é" is two bytes, one column.
        let error = try loadError(bytes: Array("a: 1\nbé: \u{1}\n".utf8))
        #expect(error.mark == mark(2, 5))
        #expect(error.message.contains("U+0001"))
    }

    @Test func errorWithoutMarkDescribesSourceOnly() {
        let error = YAMLError(source: "plugin configuration", mark: nil, message: "boom")
        #expect(error.description == "plugin configuration: boom")
        let located = YAMLError(source: "cache.yml", mark: mark(3, 7), message: "boom")
        #expect(located.description == "cache.yml:3:7: boom")
    }
}
