import CacheYAML
import Testing

@Suite struct ScalarAccessorTests {
    @Test func booleansFollowTheCoreSchemaOnly() throws {
        let root = try loadDocument("""
            a: true
            b: True
            c: FALSE
            d: yes
            e: off
            f: "true"
            """)
        #expect(root["a"]?.bool == true)
        #expect(root["b"]?.bool == true)
        #expect(root["c"]?.bool == false)
        #expect(root["d"]?.bool == nil)
        #expect(root["d"]?.string == "yes")
        #expect(root["e"]?.bool == nil)
        #expect(root["f"]?.bool == nil)
        #expect(root["f"]?.string == "true")
    }

    @Test(arguments: [
        ("42", 42), ("-17", -17), ("+5", 5), ("0x1F", 31), ("0o17", 15), ("0", 0),
        ("-9223372036854775808", Int.min),
    ])
    func integersParse(text: String, expected: Int) throws {
        #expect(try loadDocument("v: \(text)")["v"]?.int == expected)
    }

    @Test(arguments: ["9223372036854775808", "1_000", "1.5", "0x", "0xG1", "0o9", "--1", "+", "12abc", "'3'", "\"3\""])
    func nonIntegersAreNil(text: String) throws {
        #expect(try loadDocument("v: \(text)")["v"]?.int == nil)
    }

    @Test func nullsAreThePlainNullSpellings() throws {
        let root = try loadDocument("""
            empty:
            tilde: ~
            lower: null
            title: Null
            upper: NULL
            quoted: "null"
            tagged: !!str null
            word: nil
            """)
        for key in ["empty", "tilde", "lower", "title", "upper"] {
            #expect(root[key]?.isNull == true, "\(key)")
            #expect(root[key]?.string == nil, "\(key)")
        }
        #expect(root["quoted"]?.isNull == false)
        #expect(root["quoted"]?.string == "null")
        #expect(root["tagged"]?.isNull == false)
        #expect(root["word"]?.isNull == false)
    }

    @Test func explicitTagsOverridePlainResolution() throws {
        let root = try loadDocument("""
            s: !!str true
            i: !!int "42"
            custom: !thing x
            """)
        #expect(root["s"]?.tag == "tag:yaml.org,2002:str")
        #expect(root["s"]?.bool == nil)
        #expect(root["s"]?.string == "true")
        #expect(root["i"]?.int == 42)
        #expect(root["custom"]?.tag == "!thing")
        #expect(root["custom"]?.string == "x")
    }

    @Test func scalarStylesAreRecorded() throws {
        let root = try loadDocument("""
            plain: a
            single: 'b'
            double: "c"
            literal: |
              line one
              line two
            folded: >
              folded
              text
            """)
        func style(_ key: String) -> YAMLScalarStyle? {
            guard case .scalar(_, let style)? = root[key]?.content else { return nil }
            return style
        }
        #expect(style("plain") == .plain)
        #expect(style("single") == .singleQuoted)
        #expect(style("double") == .doubleQuoted)
        #expect(style("literal") == .literal)
        #expect(style("folded") == .folded)
        #expect(root["literal"]?.string == "line one\nline two\n")
        #expect(root["folded"]?.string == "folded text")  // clipped: the input ends without a newline
    }

    @Test func kindDescriptionsNameEachKind() throws {
        let root = try loadDocument("""
            s: hello
            q: "12"
            n: 12
            f: 1.5e3
            inf: -.inf
            b: false
            z: ~
            l: [1]
            m: {a: 1}
            """)
        #expect(root["s"]?.kindDescription == "a string")
        #expect(root["q"]?.kindDescription == "a string")
        #expect(root["n"]?.kindDescription == "a number")
        #expect(root["f"]?.kindDescription == "a number")
        #expect(root["inf"]?.kindDescription == "a number")
        #expect(root["b"]?.kindDescription == "a boolean")
        #expect(root["z"]?.kindDescription == "null")
        #expect(root["l"]?.kindDescription == "a list")
        #expect(root["m"]?.kindDescription == "a mapping")
    }

    @Test func collectionAccessorsAndLookup() throws {
        let root = try loadDocument("""
            list: [a, b]
            map: {k: v}
            """)
        #expect(root.mapping?.count == 2)
        #expect(root["list"]?.sequence?.map(\.string) == ["a", "b"])
        #expect(root["list"]?.mapping == nil)
        #expect(root["map"]?["k"]?.string == "v")
        #expect(root["missing"] == nil)
        #expect(root["list"]?["a"] == nil)
        #expect(root["list"]?.string == nil)
    }

    @Test func descriptionRendersFlowYAML() throws {
        let root = try loadDocument("""
            a: [1, "two words", 'q"uote']
            b: {c: ~, d: !!str 5}
            """)
        #expect(root.description == #"{a: [1, "two words", "q\"uote"], b: {c: ~, d: !<tag:yaml.org,2002:str> 5}}"#)
    }
}
