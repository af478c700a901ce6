import CacheYAML
import Testing

/// Hostile input must end in an error, never a crash, a stack overflow or a
/// hang: nesting and size are bounded before they can cost much.
@Suite struct LimitTests {
    @Test func twentyThousandNestedFlowListsFailAtTheLimit() throws {
        let text = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        let error = try loadError(text)
        #expect(error.mark == mark(1, 257))
        #expect(error.message.contains("limit of 256 levels"))
    }

    @Test func twentyThousandNestedFlowMappingsFailAtTheLimit() throws {
        let text = String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000)
        let error = try loadError(text)
        #expect(error.mark == mark(1, 256 * 4 + 1))
        #expect(error.message.contains("limit of 256 levels"))
    }

    @Test func deeplyIndentedBlockMappingsFailAtTheLimit() throws {
        var text = ""
        for level in 0..<300 {
            text += String(repeating: " ", count: level) + "k:\n"
        }
        let error = try loadError(text)
        #expect(error.mark == mark(257, 257))
    }

    @Test func aTreeAtTheDefaultDepthLimitLoadsRendersAndIsReleased() throws {
        let text = String(repeating: "[", count: 256) + "x" + String(repeating: "]", count: 256)
        let root = try loadDocument(text)
        #expect(root.description == text)
    }

    @Test func nestingExactlyAtTheLimitIsAccepted() throws {
        let limits = YAMLLimits(maxDepth: 3)
        let root = try loadDocument("[[[x]]]", limits: limits)
        #expect(root.sequence?.first?.sequence?.first?.sequence?.first?.string == "x")
        let error = try loadError("[[[[x]]]]", limits: limits)
        #expect(error.mark == mark(1, 4))
    }

    @Test func theNodeLimitAppliesWithoutAliasesToo() throws {
        let items = (1...50).map(String.init).joined(separator: ", ")
        let error = try loadError("[\(items)]", limits: YAMLLimits(maxNodes: 10))
        #expect(error.message.contains("more than 10 nodes"))
    }

    @Test func inputOverTheByteLimitIsRefusedBeforeParsing() throws {
        let limits = YAMLLimits(maxBytes: 16)
        // Invalid YAML too: the size check must come first.
        let error = try loadError("a: [unclosed, \"and long enough\"", limits: limits)
        #expect(error.mark == nil)
        #expect(error.message.contains("limit of 16 bytes"))
        #expect(try loadDocument("a: exactly16byte", limits: limits)["a"]?.string == "exactly16byte")
    }
}
