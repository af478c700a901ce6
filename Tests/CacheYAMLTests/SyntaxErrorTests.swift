import CacheYAML
import Testing

/// The mistakes people make by hand in YAML, each reported with a position
/// and wording that says what to change.
@Suite struct SyntaxErrorTests {
    @Test func tabIndentationIsReportedAsSuch() throws {
        let error = try loadError("caches:\n\t- id: x\n")
        #expect(error.mark == mark(2, 1))
        #expect(error.message.contains("tab character"))
        #expect(error.message.contains("spaces"))
    }

    @Test func tabInsideAnIndentedBlockIsReportedAsSuch() throws {
        let error = try loadError("a:\n  b: 1\n\tc: 2\n")
        #expect(error.mark == mark(3, 1))
        #expect(error.message.contains("tab character"))
    }

    @Test func tabIndentingABlockScalarIsReportedAsSuch() throws {
        let error = try loadError("script: |\n\techo hi\n")
        #expect(error.mark == mark(2, 1))
        #expect(error.message.contains("tab character"))
    }

    @Test func unclosedQuotePointsAtTheOpeningQuote() throws {
        let error = try loadError("id: x\nkey: \"abc\npaths: [a]\n")
        #expect(error.mark == mark(2, 6))
        #expect(error.message.contains("never closed"))
        let single = try loadError("key: 'abc\n")
        #expect(single.mark == mark(1, 6))
    }

    @Test func badIndentationNamesTheMapping() throws {
        let error = try loadError("cache:\n  id: x\n key: y\n")
        #expect(error.mark == mark(3, 2))
        #expect(error.message.contains("bad indentation"))
        #expect(error.message.contains("line 1, column 1"))
    }

    @Test func colonInsideAPlainValueIsExplained() throws {
        let error = try loadError("key: a: b\n")
        #expect(error.mark == mark(1, 7))
        #expect(error.message.contains("quote"))
    }

    @Test func invalidUTF8IsLocated() throws {
        var bytes = Array("id: ok\npath: ".utf8)
        bytes += [0xC3, 0x28]  // a lead byte followed by a non-continuation byte
        bytes += Array("\n".utf8)
        let error = try loadError(bytes: bytes)
        // libyaml blames the byte that breaks the sequence: the 0x28.
        #expect(error.mark == mark(2, 8))
        #expect(error.message.contains("invalid UTF-8"))
        #expect(error.message.contains("0x28"))
        let lead = try loadError(bytes: [0x61, 0x3A, 0x20, 0xFF])
        #expect(lead.mark == mark(1, 4))
        #expect(lead.message.contains("0xFF"))
    }

    @Test func controlCharactersAreRefused() throws {
        let error = try loadError("key: a\u{7}b\n")
        #expect(error.mark == mark(1, 7))
        #expect(error.message.contains("U+0007"))
    }

    @Test func anAnchorWithoutANameIsExplained() throws {
        let error = try loadError("a: & x\n")
        #expect(error.mark == mark(1, 4))
        #expect(error.message.contains("no valid name"))
    }

    @Test func unknownTokensKeepLibYAMLContext() throws {
        let error = try loadError("a: ]\n")
        #expect(error.mark == mark(1, 4))
        #expect(error.message.contains("did not find expected node content"))
    }
}
