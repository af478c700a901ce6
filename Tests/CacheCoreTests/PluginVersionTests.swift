import Foundation
import Testing
import CacheCore

/// The compiled-in version is what `--version` prints and what the hooks compare with the plugin
/// checkout's release/VERSION before running a binary they did not install themselves: the two
/// must never drift apart (scripts/release writes both).
@Suite struct PluginVersionTests {
    @Test func equalsTheCommittedReleaseVersion() throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: repository.appendingPathComponent("release/VERSION"), encoding: .utf8)
        #expect(committed == PluginVersion.current + "\n", "release/VERSION is one line holding the version")
        #expect(PluginVersion.current.wholeMatch(of: /[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?/) != nil,
                "a version like 1.2.0, without a leading v")
    }
}
