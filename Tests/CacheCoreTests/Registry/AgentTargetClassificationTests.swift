import CacheArchive
import Testing
@testable import CacheCore

/// A cache path becomes the agent archive's target by the one classification the plugin has
/// (`CachePath`), which must anchor paths as the agent anchors them.
@Suite struct AgentTargetClassificationTests {
    private func target(_ written: String) throws -> AgentArchiveTarget {
        AgentArchiveTarget(try CachePath(written, checkout: "/work/checkout/", home: "/home/u"))
    }

    @Test func pathsAreAnchoredAsTheAgentAnchorsThem() throws {
        #expect(try target("~/.npm//cache/") == AgentArchiveTarget(anchor: .home, relativePath: ".npm/cache", absolutePath: "/home/u/.npm/cache"))
        #expect(try target("node_modules") == AgentArchiveTarget(anchor: .workingDirectory, relativePath: "node_modules", absolutePath: "/work/checkout/node_modules"))
        #expect(try target("./a/./b") == AgentArchiveTarget(anchor: .workingDirectory, relativePath: "a/b", absolutePath: "/work/checkout/a/b"))
        // Only a leading `~` alone means home; `~user` is a relative name.
        #expect(try target("~user/x").anchor == .workingDirectory)
        // Absolute paths stay pinned, even under the home directory.
        #expect(try target("/home/u/.gradle") == AgentArchiveTarget(anchor: .root, relativePath: "home/u/.gradle", absolutePath: "/home/u/.gradle"))
    }

    @Test func parentComponentsThatClimbAndWholeBasesAreRefused() {
        for bad in ["../x", "~/../etc", "/", "//", "~", "."] {
            #expect(throws: CachePathError.self, "\(bad)") { try target(bad) }
        }
    }
}
