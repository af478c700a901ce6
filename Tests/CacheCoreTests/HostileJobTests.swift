import Foundation
import Testing
@testable import CacheCore

/// What someone who controls a branch, a checkout or the agent's environment can hand the
/// binaries: each must end in a clear error or a skipped cache, never a hang or a write elsewhere.
@Suite("Hostile checkouts and environments")
struct HostileJobTests {
    @Test func aFIFOAsTheRepositoryCacheFileIsAnErrorNotAHang() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/checkout/.buildkite", withIntermediateDirectories: true)
        #expect(mkfifo(scratch.path + "/checkout/.buildkite/cache.yml", 0o644) == 0)
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch))
        }
        #expect(error.message.contains("is not a regular file"))
    }

    @Test func aFIFOAsAChecksumInputIsAnErrorNotAHang() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/checkout", withIntermediateDirectories: true)
        #expect(mkfifo(scratch.path + "/checkout/lock", 0o644) == 0)
        let environment = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"{{ checksum \"lock\" }}","paths":["x"]}]}"#)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let error = try #require(throws: ConfigurationError.self) {
            try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        }
        #expect(error.message.contains("not a regular file"))
    }

    @Test func idsThatDifferOnlyInCaseAreAnError() throws {
        let scratch = try Scratch()
        let json = #"{"caches":[{"id":"deps","key":"a","paths":["a"]},{"id":"DEPS","key":"b","paths":["b"]}]}"#
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json))
        }
        #expect(error.message.contains("differ only in case"))
        #expect(error.message.contains("SWIFT_CACHE_HIT_DEPS"))
    }

    @Test func aVeryLongIdIsAnError() throws {
        let scratch = try Scratch()
        let id = String(repeating: "a", count: 65)
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[{"id":"\#(id)","key":"k","paths":["a"]}]}"#))
        }
        #expect(error.message.contains("keep ids to 64 or fewer"))
        let ok = String(repeating: "a", count: 64)
        #expect(try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"caches":[{"id":"\#(ok)","key":"k","paths":["a"]}]}"#)) != nil)
    }

    @Test(arguments: ["../../etc/cache.yml", "/etc/cache.yml", "a/../../x.yml", "~/cache.yml", "link/cache.yml"])
    func aConfigFileOutsideTheCheckoutIsRefused(file: String) throws {
        let scratch = try Scratch()
        try scratch.write("outside/cache.yml", "dependencies: []\n")
        try FileManager.default.createDirectory(atPath: scratch.path + "/checkout", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/checkout/link", withDestinationPath: scratch.path + "/outside")
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: #"{"config":"\#(file)"}"#))
        }
        #expect(error.message.contains("name a file inside the repository"))
    }

    @Test func aCheckoutLinkInAPathsParentsSkipsTheCache() throws {
        let scratch = try Scratch()
        try scratch.write("outside/bundle/keep", "not ours")
        try FileManager.default.createDirectory(atPath: scratch.path + "/checkout/inside", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/checkout/vendor", withDestinationPath: scratch.path + "/outside")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/checkout/alias", withDestinationPath: "inside")
        let checkout = scratch.path + "/checkout", home = scratch.path + "/home"
        let escaping = try CachePath("vendor/bundle", checkout: checkout, home: home)
        #expect(escaping.escapingParent(checkout: checkout, home: home)?.contains("outside the checkout") == true)
        #expect(try CachePath("alias/bundle", checkout: checkout, home: home).escapingParent(checkout: checkout, home: home) == nil)
        #expect(try CachePath("vendor", checkout: checkout, home: home).escapingParent(checkout: checkout, home: home) == nil)
        #expect(try CachePath("/opt/x/y", checkout: checkout, home: home).escapingParent(checkout: checkout, home: home) == nil)
    }

    @Test func aBranchThatIsNotUTF8IsAConfigurationError() async throws {
        let scratch = try Scratch()
        var environment = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"k","paths":["x"]}]}"#)
        environment = JobEnvironment(environment.variables, nonUTF8Names: ["BUILDKITE_BRANCH"])
        let captured = CapturedLog()
        #expect(await RestoreJob.run(environment: environment, log: captured.log, exportFile: nil, dryRun: false) == .configurationError)
        #expect(captured.text.contains("BUILDKITE_BRANCH: holds bytes that are not UTF-8"))
    }

    @Test func anEnvironmentValueThatIsNotUTF8CannotGoIntoAKey() throws {
        let scratch = try Scratch()
        let base = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-{{ env \"LOCK\" }}","paths":["x"]}]}"#,
                                  extra: ["LOCK": "v\u{FFFD}1"])
        let environment = JobEnvironment(base.variables, nonUTF8Names: ["LOCK"])
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let error = try #require(throws: ConfigurationError.self) {
            try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        }
        #expect(error.message.contains("LOCK, which holds bytes that are not UTF-8"))
    }
}
