import Testing
@testable import CacheKeys

@Suite("Glob patterns")
struct GlobPatternTests {
    private func matches(_ pattern: String, _ path: String) throws -> Bool {
        try GlobPattern(pattern).matches(path)
    }

    @Test func starStaysWithinOneComponent() throws {
        #expect(try matches("*.lock", "yarn.lock"))
        #expect(try matches("*.lock", ".hidden.lock"))
        #expect(try !matches("*.lock", "sub/yarn.lock"))
        #expect(try matches("src/*/Package.resolved", "src/app/Package.resolved"))
        #expect(try !matches("src/*/Package.resolved", "src/a/b/Package.resolved"))
        #expect(try matches("a*b*c", "aXXbYYc"))
        #expect(try !matches("a*b*c", "aXXbYY"))
    }

    @Test func globstarSpansZeroOrMoreComponents() throws {
        #expect(try matches("**/go.sum", "go.sum"))
        #expect(try matches("**/go.sum", "a/b/c/go.sum"))
        #expect(try matches("a/**/z.txt", "a/z.txt"))
        #expect(try matches("a/**/z.txt", "a/b/c/z.txt"))
        #expect(try !matches("a/**/z.txt", "b/z.txt"))
        #expect(try matches("**", "any/depth/file"))
        #expect(try matches("**/x/**/y", "1/x/2/3/y"))
        #expect(try !matches("**/x/**/y", "1/2/3/y"))
    }

    @Test func questionMarkIsExactlyOneCharacter() throws {
        #expect(try matches("v?.txt", "v1.txt"))
        #expect(try matches("v?.txt", "vé.txt"))
        #expect(try !matches("v?.txt", "v10.txt"))
        #expect(try !matches("a?b", "a/b"))
    }

    @Test func bracketSets() throws {
        #expect(try matches("file[abc].txt", "fileb.txt"))
        #expect(try !matches("file[abc].txt", "filed.txt"))
        #expect(try matches("v[0-9].lock", "v7.lock"))
        #expect(try !matches("v[0-9].lock", "vx.lock"))
        #expect(try matches("[!x]y", "ay"))
        #expect(try !matches("[!x]y", "xy"))
        #expect(try matches("[^x]y", "zy"))
        #expect(try matches("[]]", "]"))
        #expect(try matches("[a-]", "-"))
        #expect(try !matches("a[!b]c", "a/c"))
    }

    @Test func bracesExpandIncludingNestedAndAcrossSlashes() throws {
        #expect(try matches("*.{yml,yaml}", "ci.yaml"))
        #expect(try matches("*.{yml,yaml}", "ci.yml"))
        #expect(try !matches("*.{yml,yaml}", "ci.json"))
        #expect(try matches("{src,test/fixtures}/*.json", "test/fixtures/a.json"))
        #expect(try matches("{a,b{1,2}}.txt", "b2.txt"))
        #expect(try !matches("{a,b{1,2}}.txt", "b3.txt"))
        #expect(try matches("x{,-dev}.txt", "x.txt"))
        #expect(try matches("x{,-dev}.txt", "x-dev.txt"))
    }

    @Test func backslashEscapesAndLiteralness() throws {
        #expect(try matches(#"a\*b"#, "a*b"))
        #expect(try !matches(#"a\*b"#, "aXb"))
        #expect(try GlobPattern(#"weird\[1\].txt"#).isLiteral)
        #expect(try GlobPattern("./packages/app/package.json").isLiteral)
        #expect(try GlobPattern("./packages/app/package.json").literalPath == "packages/app/package.json")
        for pattern in ["*.x", "a?", "[ab]", "{a,b}", "**"] {
            #expect(try !GlobPattern(pattern).isLiteral, "\(pattern)")
        }
    }

    @Test func absolutePatternsMatchOnlyAbsolutePaths() throws {
        #expect(try matches("/etc/*.conf", "/etc/a.conf"))
        #expect(try !matches("/etc/*.conf", "etc/a.conf"))
        #expect(try !matches("etc/*.conf", "/etc/a.conf"))
    }

    @Test(arguments: [
        ("src/[ab", 5, "'[' is never closed"),
        ("{a,b", 1, "'{' is never closed"),
        ("a}b", 2, "'}' without a matching '{'"),
        (#"abc\"#, 4, "trailing '\\'"),
        ("[z-a]", 2, "backwards"),
        ("", 1, "empty"),
        ("{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v}", 51, "more than 1024"),
    ])
    func malformedPatternsReportTheirColumn(pattern: String, column: Int, fragment: String) {
        let error = #expect(throws: GlobPatternError.self) { try GlobPattern(pattern) }
        #expect(error?.column == column)
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error))")
    }
}
