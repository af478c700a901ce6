import Foundation
import Testing
@testable import CacheCore

@Suite("Loading the configuration the way the agent hands it over")
struct ConfigurationLoaderTests {
    @Test func readsPluginConfigurationJSON() throws {
        let scratch = try Scratch()
        let json = #"{"caches":[{"id":"node_modules","key":"{{ id }}-v1","fallback_keys":["{{ id }}-"],"paths":["node_modules"]}],"concurrency":3}"#
        let configuration = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json)))
        #expect(configuration.caches.map(\.id) == ["node_modules"])
        #expect(configuration.caches[0].paths == ["node_modules"])
        #expect(configuration.caches[0].fallbackKeys.count == 1)
        #expect(configuration.options.concurrency == 3)
    }

    /// Without BUILDKITE_PLUGIN_CONFIGURATION, valid options in BUILDKITE_PLUGINS mean an agent hook
    /// beside the step's plugin, whose own hook caches: this run stands aside.
    @Test func findsItsEntryInBuildkitePluginsInBothForms() throws {
        let scratch = try Scratch()
        let plugins = #"["docker#v5.0.0",{"github.com/acme/swift-cache-buildkite-plugin#v1.0.0":{"caches":[{"id":"a","key":"k","paths":["x"]}]}}]"#
        let loaded = try ConfigurationLoader.loadForJob(jobEnvironment(scratch, extra: ["BUILDKITE_PLUGINS": plugins]))
        guard case .nothing(let reason) = loaded else { Issue.record("expected to stand aside, got \(loaded)"); return }
        #expect(reason.contains("the step's swift-cache plugin handles caching"))

        let bare = #"["acme/swift-cache#v1.0.0"]"#
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, extra: ["BUILDKITE_PLUGINS": bare]))
        }
    }

    @Test func noConfigurationAndNoCacheFileMeansNothingToDo() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/checkout", withIntermediateDirectories: true)
        #expect(try ConfigurationLoader.load(jobEnvironment(scratch)) == nil)
    }

    @Test func readsTheRepositoryCacheFileWithoutPluginOptions() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", """
            dependencies:
              - id: gems
                template: ruby
            """)
        let configuration = try #require(try ConfigurationLoader.load(jobEnvironment(scratch)))
        #expect(configuration.caches.map(\.id) == ["gems"])
        #expect(!configuration.caches[0].paths.isEmpty)
    }

    @Test func bothRepositoryCacheFilesAreAnError() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", "dependencies: []")
        try scratch.write("checkout/.buildkite/cache.yaml", "dependencies: []")
        let error = try #require(throws: ConfigurationError.self) { try ConfigurationLoader.load(jobEnvironment(scratch)) }
        #expect(error.message.contains("keep one"))
    }

    @Test func combinesOptionsWithAConfigFileAndRejectsDuplicateIds() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/ci/cache.yml", """
            caches:
              - name: vendor
                cache_key: [v1, {agent: os}, {checksum: go.sum, fallback_limit: true}]
                target_paths: [vendor]
            """)
        let json = #"{"config":"ci/cache.yml","caches":[{"id":"npm","key":"k","paths":["node_modules"]}]}"#
        let configuration = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json)))
        #expect(configuration.caches.map(\.id) == ["npm", "vendor"])

        let duplicate = #"{"config":"ci/cache.yml","caches":[{"id":"vendor","key":"k","paths":["v"]}]}"#
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: duplicate))
        }
        #expect(error.description.hasPrefix("ci/cache.yml:2:"))
        #expect(error.message.contains("defined twice"))
    }

    @Test func aMissingConfigFileNamesTheOptionAndTheCheckout() throws {
        let scratch = try Scratch()
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"config":"nope.yml"}"#))
        }
        #expect(error.message.contains("nope.yml"))
        #expect(error.mark != nil)
    }
}
