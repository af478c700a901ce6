import CacheYAML
import Testing

@Suite struct DocumentTests {
    @Test(arguments: ["", "   \n\n", "# only a comment\n"])
    func inputWithoutADocumentIsNil(text: String) throws {
        #expect(try YAMLLoader.load(text, source: "test.yml") == nil)
    }

    @Test func emptyBytesAreNil() throws {
        #expect(try YAMLLoader.load(bytes: [], source: "test.yml") == nil)
    }

    @Test func anExplicitEmptyDocumentIsNull() throws {
        let root = try loadDocument("---\n")
        #expect(root.isNull)
    }

    @Test func aSecondDocumentIsAnErrorAtItsStart() throws {
        let error = try loadError("a: 1\n---\nb: 2\n")
        #expect(error.mark == mark(2, 1))
        #expect(error.message.contains("exactly one document"))
    }

    @Test func aSecondDocumentIsRefusedEvenIfItIsBroken() throws {
        let error = try loadError("---\na: 1\n---\nb: [\n")
        #expect(error.mark == mark(3, 1))
        #expect(error.message.contains("second YAML document"))
    }

    @Test func explicitStartAndEndMarkersAroundOneDocumentAreFine() throws {
        let root = try loadDocument("%YAML 1.1\n---\na: 1\n...\n")
        #expect(root["a"]?.int == 1)
    }

    @Test func aUTF8ByteOrderMarkIsSkipped() throws {
        let root = try #require(try YAMLLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("a: 1\n".utf8), source: "bom.yml"))
        #expect(root["a"]?.int == 1)
        #expect(root["a"]?.mark == mark(1, 4))
    }

    @Test func aTopLevelScalarIsADocument() throws {
        #expect(try loadDocument("just text").string == "just text")
    }
}
