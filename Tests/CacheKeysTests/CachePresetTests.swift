import Foundation
import Testing
@testable import CacheKeys

@Suite("Cache presets")
struct CachePresetTests {
    @Test(arguments: CachePreset.all.map(\.name))
    func keysAndFallbacksParse(name: String) throws {
        let preset = try #require(CachePreset.named(name))
        _ = try KeyTemplate(preset.key)
        #expect(preset.fallbackKeys.count == 1)
        for fallback in preset.fallbackKeys {
            _ = try KeyTemplate(fallback)
            // a fallback is a prefix lookup: it must be the start of the exact key
            #expect(preset.key.hasPrefix(fallback))
        }
        #expect(preset.key.contains("{{ checksum "))
        #expect(!preset.paths.isEmpty)
        #expect(!preset.summary.isEmpty)
    }

    @Test func includesTheAgentsTemplateNamesAndOurEcosystems() {
        let names = Set(CachePreset.all.map(\.name))
        let expected: Set = ["node-npm", "node-yarn", "node-pnpm", "ruby", "bundler", "python-pip", "go",
                             "rust-cargo", "gradle", "maven", "swiftpm"]
        #expect(expected.isSubset(of: names))
        #expect(names.count == CachePreset.all.count, "names are unique")
        #expect(CachePreset.named("no-such-preset") == nil)
    }

    @Test func agentTemplatesKeepTheAgentsKeysAndPaths() throws {
        let npm = try #require(CachePreset.named("node-npm"))
        #expect(npm.key == #"{{ id }}-{{ agent.os }}-{{ agent.arch }}-{{ checksum "package-lock.json" }}"#)
        #expect(npm.fallbackKeys == ["{{ id }}-{{ agent.os }}-{{ agent.arch }}-"])
        #expect(npm.paths == ["node_modules"])
        let ruby = try #require(CachePreset.named("ruby"))
        let bundler = try #require(CachePreset.named("bundler"))
        #expect(ruby.key == bundler.key && ruby.paths == bundler.paths && ruby.paths == ["vendor/bundle"])
        #expect(ruby.key.contains(#""Gemfile.lock""#))
    }

    @Test func presetKeyRendersAgainstARealCheckout() throws {
        let dir = try TemporaryDirectory()
        try dir.write("sub/build.gradle.kts", "plugins {}")
        try dir.write("gradle/wrapper/gradle-wrapper.properties", "distributionUrl=x")
        let gradle = try #require(CachePreset.named("gradle"))
        let ctx = context(in: dir.path, id: "gradle")
        let key = try KeyTemplate(gradle.key).render(in: ctx)
        let fallback = try KeyTemplate(gradle.fallbackKeys[0]).render(in: ctx)
        #expect(fallback == "gradle-linux-amd64-")
        #expect(key.hasPrefix(fallback) && key.count == fallback.count + 64)
    }
}
