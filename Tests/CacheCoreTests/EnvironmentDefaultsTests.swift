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

    /// A step that sets an option is not failed by a bad fleet setting of the same option.
    @Test(arguments: [("SWIFT_CACHE_CONCURRENCY", "0", #""concurrency":2"#), ("SWIFT_CACHE_FAIL_ON_ERROR", "yes", #""fail-on-error":true"#),
                      ("SWIFT_CACHE_SAVE_WHEN", "sometimes", #""save-when":"always""#),
                      ("SWIFT_CACHE_SAVE_BRANCHES", "[oops", #""save-branches":["main"]"#),
                      ("SWIFT_CACHE_COMPRESSION_LEVEL", "99", #""compression-level":5"#), ("SWIFT_CACHE_ANNOTATE", "maybe", #""annotate":false"#),
                      ("SWIFT_CACHE_SAVE_ON_FORK_PULL_REQUESTS", "nope", #""save-on-fork-pull-requests":false"#)])
    func anOptionOverridesABadFleetSetting(name: String, value: String, option: String) throws {
        let scratch = try Scratch()
        let json = #"{"caches":[],"# + option + "}"
        let configuration = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json, extra: [name: value])))
        #expect(configuration.options.concurrency == 2)
    }

    /// The agent's own spellings of booleans (Go's strconv.ParseBool).
    @Test(arguments: [("1", true), ("t", true), ("T", true), ("TRUE", true), ("true", true), ("True", true),
                      ("0", false), ("f", false), ("F", false), ("FALSE", false), ("false", false), ("False", false)])
    func fleetBooleansAcceptTheAgentsSpellings(text: String, value: Bool) throws {
        let scratch = try Scratch()
        let extra = ["SWIFT_CACHE_FAIL_ON_ERROR": text, "SWIFT_CACHE_ANNOTATE": text]
        let configuration = try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#, extra: extra)))
        #expect(configuration.options.failOnError == value)
        #expect(configuration.options.annotate == value)
    }

    @Test(arguments: ["yes", "on", "tRUE", "2", " true"])
    func otherBooleanSpellingsAreErrors(text: String) throws {
        let scratch = try Scratch()
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[]}"#, extra: ["SWIFT_CACHE_FAIL_ON_ERROR": text]))
        }
        #expect(error.description.contains("SWIFT_CACHE_FAIL_ON_ERROR"))
    }

    /// save-branches globs: `*` stays within one `/`-separated part, `**` spans any number of them.
    @Test(arguments: [("release/*", "release/1.2", true), ("release/*", "release/1.2/hotfix", false),
                      ("release/**", "release/1.2/hotfix", true), ("release/**", "release/1.2", true),
                      ("**/hotfix", "release/1.2/hotfix", true), ("main", "main", true), ("main", "mainline", false)])
    func saveBranchGlobs(pattern: String, branch: String, allowed: Bool) {
        #expect(SaveBranches.allows(branch, patterns: [pattern]) == allowed)
    }
}
