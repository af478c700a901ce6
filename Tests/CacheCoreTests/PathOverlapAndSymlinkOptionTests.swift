import CacheArchive
import Foundation
import Testing
@testable import CacheCore

/// Definitions that cannot work are refused when they are loaded, with their position; the
/// `symlinks` option is read from both definition formats, the plugin options and the fleet.
@Suite("Overlapping paths and the symlinks option")
struct PathOverlapAndSymlinkOptionTests {
    func load(_ json: String, extra: [String: String] = [:]) throws -> Configuration {
        let scratch = try Scratch()
        return try #require(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json, extra: extra)))
    }

    func error(_ json: String, extra: [String: String] = [:]) throws -> ConfigurationError {
        let scratch = try Scratch()
        return try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json, extra: extra))
        }
    }

    @Test(arguments: [#"["node_modules","node_modules/.cache"]"#, #"["./a/b/","a"]"#, #"["~/.cargo","~/.cargo/registry"]"#])
    func twoPathsOfOneCacheThatOverlapAreAnError(paths: String) throws {
        let failure = try error(#"{"caches":[{"id":"n","key":"k","paths":\#(paths)}]}"#)
        #expect(failure.message.contains("overlaps"), "\(failure)")
        #expect(failure.mark != nil)
    }

    @Test func theCachesFormatIsCheckedToo() throws {
        let failure = try error(#"{"caches":[{"name":"n","cache_key":["v1"],"target_paths":["node_modules","node_modules/.cache"]}]}"#)
        #expect(failure.description.contains("option caches[0].target_paths[1]"), "\(failure)")
        #expect(failure.message.contains("overlaps"))
    }

    @Test func pathsOfTwoCachesThatOverlapAreAnErrorNamingBoth() throws {
        let failure = try error(#"{"caches":[{"id":"a","key":"k","paths":["~/.cargo"]},{"id":"b","key":"k","paths":["x","~/.cargo/registry"]}]}"#)
        #expect(failure.message.contains("cache 'b'"), "\(failure)")
        #expect(failure.message.contains("of cache 'a'"))
        #expect(failure.message.contains("BUILDKITE_PLUGIN_CONFIGURATION):1:"))
        // Presets count as written: two caches of one preset share its paths.
        let presets = try error(#"{"caches":[{"id":"a","template":"go"},{"id":"b","template":"go"}]}"#)
        #expect(presets.message.contains("overlaps"))
    }

    @Test func siblingsAndPrefixesThatAreNotPathsDoNotOverlap() throws {
        let configuration = try load(#"{"caches":[{"id":"a","key":"k","paths":["node_modules","node_modules2","~/node_modules"]}]}"#)
        #expect(configuration.caches[0].paths.count == 3)
    }

    @Test func aHomePathAndItsAbsoluteSpellingMeetOnceResolved() throws {
        let scratch = try Scratch()
        let json = #"{"caches":[{"id":"a","key":"k","paths":["~/.npm"]},{"id":"b","key":"k","paths":["\#(scratch.path)/home/.npm/_cacache"]}]}"#
        let environment = jobEnvironment(scratch, configuration: json)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let failure = try #require(throws: ConfigurationError.self) { try ResolvedCache.resolveAll(configuration, environment: environment) }
        #expect(failure.message.contains("overlaps"), "\(failure)")
    }

    @Test func symlinksDefaultsToAnywhereAndIsSetPerCachePluginWideOrByTheFleet() throws {
        let plain = try load(#"{"caches":[{"id":"a","key":"k","paths":["x"]}]}"#)
        #expect(plain.caches[0].symlinks == .anywhere)
        let perCache = try load(#"{"caches":[{"id":"a","key":"k","paths":["x"],"symlinks":"inside"},{"name":"b","cache_key":["v"],"target_paths":["y"],"symlinks":"inside"},{"id":"c","key":"k","paths":["z"]}]}"#)
        #expect(perCache.caches.map(\.symlinks) == [.inside, .inside, .anywhere])
        let pluginWide = try load(#"{"symlinks":"inside","caches":[{"id":"a","key":"k","paths":["x"]},{"id":"b","key":"k","paths":["y"],"symlinks":"anywhere"}]}"#)
        #expect(pluginWide.caches.map(\.symlinks) == [.inside, .anywhere])
        let fleet = try load(#"{"caches":[{"id":"a","key":"k","paths":["x"]}]}"#, extra: ["SWIFT_CACHE_SYMLINKS": "inside"])
        #expect(fleet.caches[0].symlinks == .inside)
        let overridden = try load(#"{"symlinks":"anywhere","caches":[{"id":"a","key":"k","paths":["x"]}]}"#, extra: ["SWIFT_CACHE_SYMLINKS": "inside"])
        #expect(overridden.caches[0].symlinks == .anywhere)
    }

    @Test func aBadSymlinksValueIsAPositionedError() throws {
        let perCache = try error(#"{"caches":[{"id":"a","key":"k","paths":["x"],"symlinks":"outside"}]}"#)
        #expect(perCache.description.contains("BUILDKITE_PLUGIN_CONFIGURATION), option caches[0].symlinks"), "\(perCache)")
        #expect(perCache.message.contains("anywhere, inside"), "\(perCache)")
        let pluginWide = try error(#"{"symlinks":true,"caches":[]}"#)
        #expect(pluginWide.description.contains("option symlinks"), "\(pluginWide)")
        let fleet = try error(#"{"caches":[]}"#, extra: ["SWIFT_CACHE_SYMLINKS": "all"])
        #expect(fleet.description.contains("SWIFT_CACHE_SYMLINKS"))
        #expect(fleet.message.contains("anywhere or inside"))
    }
}
