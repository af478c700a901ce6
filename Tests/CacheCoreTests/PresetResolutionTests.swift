import CacheKeys
import Foundation
import Testing
@testable import CacheCore

/// Presets in repositories that do not look like the preset expects.
@Suite("Presets: missing lock files and custom keys")
struct PresetResolutionTests {
    /// A Go module without go.sum yet: the cache is skipped with one warning naming the file, in
    /// pre-command, and post-command skips it quietly; the job goes on.
    @Test func aPresetWhoseLockFileIsNotCommittedIsSkippedWithOneWarning() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/go.mod", "module x")
        try scratch.write("checkout/lock.txt", "v1")
        try scratch.write("checkout/deps/a.txt", "alpha")
        let json = #"{"caches":[{"id":"gomod","template":"go"},{"id":"deps","key":"deps-{{ checksum \"lock.txt\" }}","paths":["deps"]}]}"#
        let env = jobEnvironment(scratch, configuration: json)
        let state = scratch.path + "/state"
        let exports = scratch.path + "/exports"
        let restoreLog = CapturedLog()
        let restored = await RestoreJob.run(environment: env, log: restoreLog.log, exportFile: exports, dryRun: false, stateFile: state)
        #expect(restored == .success)
        #expect(restoreLog.warnings.count == 1)
        #expect(restoreLog.warnings.first?.contains("'go.sum'") == true, "\(restoreLog.text)")
        #expect(restoreLog.text.contains("deps: miss"))
        #expect(scratch.read("exports")?.contains("SWIFT_CACHE_HIT_GOMOD=miss") == true)

        let saveLog = CapturedLog()
        let saved = await SaveJob.run(environment: env, log: saveLog.log, dryRun: false, stateFile: state)
        #expect(saved == .success)
        #expect(saveLog.warnings.isEmpty, "the warning is not repeated: \(saveLog.text)")
        #expect(saveLog.text.contains("➖ gomod: not saved: skipped in pre-command"))
        #expect(saveLog.text.contains("✅ deps: saved"))
    }

    /// Only presets: a checksum the user wrote of a missing file stays a configuration error.
    @Test func anExplicitChecksumOfAMissingFileIsStillAnError() async throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/checkout", withIntermediateDirectories: true)
        let json = #"{"caches":[{"id":"gomod","key":"{{ checksum \"go.sum\" }}","paths":["x"]}]}"#
        let captured = CapturedLog()
        let status = await RestoreJob.run(environment: jobEnvironment(scratch, configuration: json), log: captured.log,
                                          exportFile: nil, dryRun: false)
        #expect(status == .configurationError)
        #expect(captured.text.contains("option caches[0]"), "\(captured.text)")
    }

    /// A preset with its own key gets a fallback derived from that key (its text before the
    /// first checksum); the preset's fallback could never match a key that starts differently.
    @Test(arguments: [
        (#"gomod-v2-{{ checksum \"go.sum\" }}"#, ["gomod-v2-"]),
        (#"{{ id }}-{{ agent.os }}-tools-{{ checksum \"go.sum\" }}-x"#, ["gomod-linux-tools-"]),
        (#"{{ checksum \"go.sum\" }}"#, []),
        ("gomod-fixed", []),
    ])
    func aCustomKeyDerivesItsFallback(key: String, fallbacks: [String]) throws {
        let scratch = try Scratch()
        try scratch.write("checkout/go.sum", "sum")
        let json = #"{"caches":[{"id":"gomod","template":"go","key":"\#(key)"}]}"#
        let env = jobEnvironment(scratch, configuration: json)
        let configuration = try #require(try ConfigurationLoader.load(env))
        let resolved = try ResolvedCache.resolveAll(configuration, environment: env)
        #expect(resolved[0].fallbackKeys == fallbacks.map { $0.replacingOccurrences(of: "linux", with: KeyContext.hostOS) })
        #expect(resolved[0].paths.map(\.written) == ["~/go/pkg/mod", "~/.cache/go-build"], "the preset's paths stay")
    }

    @Test func explicitFallbackKeysWinOverTheDerivedOne() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/go.sum", "sum")
        let json = #"{"caches":[{"id":"gomod","template":"go","key":"gomod-v2-{{ checksum \"go.sum\" }}","fallback_keys":["gomod-"]}]}"#
        let env = jobEnvironment(scratch, configuration: json)
        let resolved = try ResolvedCache.resolveAll(try #require(try ConfigurationLoader.load(env)), environment: env)
        #expect(resolved[0].fallbackKeys == ["gomod-"])
    }
}
