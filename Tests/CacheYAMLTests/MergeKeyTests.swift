import CacheYAML
import Testing

@Suite struct MergeKeyTests {
    @Test func mergesAMappingAndExplicitKeysWin() throws {
        let root = try loadDocument("""
            base: &base {key: base-key, paths: [a], ttl: 1}
            cache:
              key: own-key
              <<: *base
              ttl: 2
            """)
        let cache = try #require(root["cache"])
        #expect(cache["key"]?.string == "own-key")
        #expect(cache["ttl"]?.int == 2)
        #expect(cache["paths"]?.sequence?.first?.string == "a")
        #expect(cache["<<"] == nil)
        #expect(cache.mapping?.map { $0.key.string } == ["key", "paths", "ttl"])
        // Merged pairs keep their own positions, where the text lives.
        #expect(cache["paths"]?.mark == mark(1, 36))
    }

    @Test func mergesAListOfMappingsEarlierFirst() throws {
        let root = try loadDocument("""
            a: &a {x: from-a, y: from-a}
            b: &b {y: from-b, z: from-b}
            c:
              <<: [*a, *b]
            """)
        let merged = try #require(root["c"])
        #expect(merged["x"]?.string == "from-a")
        #expect(merged["y"]?.string == "from-a")
        #expect(merged["z"]?.string == "from-b")
    }

    @Test func mergingAScalarIsAnError() throws {
        let error = try loadError("a:\n  <<: just-text\n")
        #expect(error.mark == mark(2, 7))
        #expect(error.message.contains("merge key '<<'"))
        #expect(error.message.contains("a string"))
    }

    @Test func mergingAListWithANonMappingIsAnErrorAtThatItem() throws {
        let error = try loadError("a: &a {x: 1}\nb:\n  <<: [*a, 3]\n")
        #expect(error.mark == mark(3, 12))
        #expect(error.message.contains("a number"))
    }

    @Test func aQuotedMergeKeyIsAnOrdinaryKey() throws {
        let root = try loadDocument("\"<<\": {x: 1}\n")
        #expect(root["<<"]?["x"]?.int == 1)
        #expect(root["x"] == nil)
    }
}
