import CacheYAML
import Testing

/// A duplicated key silently drops one of the two values in most YAML
/// tools; we refuse it, pointing at the second and naming the first.
@Suite struct DuplicateKeyTests {
    @Test func duplicateKeyIsAnErrorAtTheSecondKey() throws {
        let error = try loadError("""
            id: one
            paths: [a]
            id: two
            """)
        #expect(error.mark == mark(3, 1))
        #expect(error.message.contains("duplicate key 'id'"))
        #expect(error.message.contains("line 1"))
    }

    @Test func duplicatesAreFoundInNestedFlowMappings() throws {
        let error = try loadError("outer:\n  inner: {x: 1, y: 2, x: 3}\n")
        #expect(error.mark == mark(2, 23))
        #expect(error.message.contains("'x'"))
        #expect(error.message.contains("line 2"))
    }

    @Test func keysWithTheSameTextAreDuplicatesWhateverTheirStyle() throws {
        let error = try loadError("1: a\n\"1\": b\n")
        #expect(error.mark == mark(2, 1))
    }

    @Test func theSameKeyInDifferentMappingsIsFine() throws {
        let root = try loadDocument("""
            - id: a
            - id: b
            """)
        #expect(root.sequence?.compactMap { $0["id"]?.string } == ["a", "b"])
    }
}
