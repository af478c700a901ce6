import CacheYAML
import Testing

@Suite struct AliasTests {
    @Test func aliasesResolveToTheAnchoredNode() throws {
        let root = try loadDocument("""
            paths: &common [vendor, node_modules]
            name: &n hello
            again: *common
            also: *n
            """)
        #expect(root["again"]?.sequence?.map(\.string) == ["vendor", "node_modules"])
        #expect(root["also"]?.string == "hello")
        #expect(root["again"]?.mark == mark(1, 8))
    }

    @Test func anAnchorCanBeRedefinedAndLaterAliasesSeeTheNewOne() throws {
        let root = try loadDocument("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")
        #expect(root["b"]?.int == 1)
        #expect(root["d"]?.int == 2)
    }

    @Test func unknownAliasIsAnError() throws {
        let error = try loadError("a: 1\nb: *nowhere\n")
        #expect(error.mark == mark(2, 4))
        #expect(error.message.contains("unknown alias '*nowhere'"))
    }

    @Test func anAliasInsideItsOwnAnchorIsAnError() throws {
        let error = try loadError("a: &loop [1, *loop]\n")
        #expect(error.mark == mark(1, 14))
        #expect(error.message.contains("contains it"))
    }

    @Test func aliasBombFailsOnTheNodeLimit() throws {
        var lines = [#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            let refs = Array(repeating: "*\(previous)", count: 9).joined(separator: ",")
            lines.append("\(name): &\(name) [\(refs)]")
        }
        let error = try loadError(lines.joined(separator: "\n"))
        #expect(error.message.contains("too many nodes (alias expansion?)"))
        #expect(error.mark != nil)
    }

    @Test func aliasesCountTheirWholeSubtreeTowardTheNodeLimit() throws {
        let limits = YAMLLimits(maxNodes: 20)
        // Root, key and a list of 6 make 8 nodes; each key adds 1, each alias 6.
        let text = "a: &l [1, 2, 3, 4, 5]\nb: *l\nc: *l\n"
        #expect(throws: Never.self) { try YAMLLoader.load("a: &l [1, 2, 3, 4, 5]\nb: *l\n", source: "t", limits: limits) }
        let error = try loadError(text, limits: limits)
        #expect(error.mark == mark(3, 4))
        #expect(error.message.contains("too many nodes"))
    }

    @Test func anAliasCannotNestPastTheDepthLimit() throws {
        let limits = YAMLLimits(maxDepth: 4)
        let error = try loadError("deep: &d [[[x]]]\nuse: [[*d]]\n", limits: limits)
        #expect(error.mark == mark(2, 8))
        #expect(error.message.contains("limit of 4 levels"))
    }
}
