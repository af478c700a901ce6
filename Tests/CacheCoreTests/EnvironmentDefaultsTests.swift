import Foundation
import Testing
@testable import CacheCore

@Suite("Defaults from the agent's environment")
struct EnvironmentDefaultsTests {
    @Test func agentEnvironmentSetsDefaultsThatPluginOptionsOverride() throws {
        let scratch = try Scratch()
        let extra = ["SWIFT_CACHE_CONCURRENCY": "6", "SWIFT_CACHE_FAIL_ON_ERROR": "true", "SWIFT_CACHE_SAVE_WHEN": "always",
                     "SWIFT_CACHE_SAVE_BRANCHES": "main, release/*", "SWIFT_CACHE_COMPRESSION_LEVEL": "9", "SWIFT_CACHE_ANNOTATE": "false"]
        let plain = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#, extra: extra)))
        #expect(plain.options.concurrency == 6)
        #expect(plain.options.failOnError)
        #expect(plain.options.saveWhen == .always)
        #expect(plain.options.saveBranches == ["main", "release/*"])
        #expect(plain.options.compressionLevel == 9)
        #expect(!plain.options.annotate)

        let overridden = try #require(try ConfigurationLoader.load(
            jobEnvironment(scratch, configuration: #"{"caches":[],"concurrency":1,"fail-on-error":false}"#, extra: extra)))
        #expect(overridden.options.concurrency == 1)
        #expect(!overridden.options.failOnError)
        #expect(overridden.options.saveWhen == .always)
    }

    @Test func theyApplyToARepositoryCacheFileToo() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", "dependencies: [{id: a, key: k, paths: [x]}]")
        let configuration = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, extra: ["SWIFT_CACHE_CONCURRENCY": "3"])))
        #expect(configuration.options.concurrency == 3)
    }

    @Test(arguments: [("SWIFT_CACHE_CONCURRENCY", "lots"), ("SWIFT_CACHE_CONCURRENCY", "0"), ("SWIFT_CACHE_FAIL_ON_ERROR", "yes"),
                      ("SWIFT_CACHE_SAVE_WHEN", "sometimes"), ("SWIFT_CACHE_COMPRESSION_LEVEL", "22"), ("SWIFT_CACHE_SAVE_BRANCHES", "[oops")])
    func badValuesNameTheVariable(name: String, value: String) throws {
        let scratch = try Scratch()
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#, extra: [name: value]))
        }
        #expect(error.description.hasPrefix("\(name) (agent environment): "))
    }

    @Test(arguments: [("main", true), ("release/1.2", true), ("feature/x", false)])
    func saveBranchesDecideWhoWrites(branch: String, saves: Bool) async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        let json = #"{"save-branches":["main","release/*"],"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#
        let env = jobEnvironment(scratch, configuration: json, extra: ["BUILDKITE_BRANCH": branch])
        let captured = CapturedLog()
        #expect(await SaveJob.run(environment: env, log: captured.log, dryRun: false) == .success)
        #expect(captured.text.contains("deps: saved") == saves)
        #expect(captured.text.contains("not in save-branches") == !saves)
    }
}
