import Foundation
import Testing
@testable import CacheCore

/// The agent's newest `caches:` keys: `save_scopes` accepted (and mapped onto our scoping), the
/// agent's wording for a scope it does not know, and a hint for the old `fallbackLimit` spelling.
@Suite("The agent's save_scopes and fallback_limit")
struct AgentCacheFileKeysTests {
    func load(_ yaml: String, extra: [String: String] = [:]) throws -> (Configuration, Scratch) {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", yaml)
        try scratch.write("checkout/lock", "x")
        return (try #require(try ConfigurationLoader.load(jobEnvironment(scratch, extra: extra))), scratch)
    }

    func loadError(_ yaml: String) throws -> ConfigurationError {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", yaml)
        return try #require(throws: ConfigurationError.self) { try ConfigurationLoader.load(jobEnvironment(scratch)) }
    }

    static let head = "caches:\n  - name: deps\n    cache_key:\n      - literal: deps\n      - checksum: lock\n    target_paths: [deps]\n"

    @Test func saveScopesAreReadAndDisabledOnesDropped() throws {
        let (configuration, _) = try load(Self.head + "    save_scopes:\n      branch: true\n      build: false\n      pipeline: true\n")
        #expect(configuration.caches[0].saveScopes == SaveScopes(enabled: [.branch, .pipeline]))
    }

    @Test func anUnknownScopeIsTheAgentsErrorAtItsPosition() throws {
        let failure = try loadError(Self.head + "    save_scopes:\n      branch: true\n      commit: true\n")
        #expect(failure.description.hasPrefix(".buildkite/cache.yml:9:7: "), "\(failure)")
        #expect(failure.message.contains("save_scopes: unsupported scope(s) 'commit' (supported: branch, build, pipeline)"))
    }

    @Test func aScopeMustBeABoolean() throws {
        let failure = try loadError(Self.head + "    save_scopes:\n      branch: sometimes\n")
        #expect(failure.description.hasPrefix(".buildkite/cache.yml:8:15: "), "\(failure)")
    }

    @Test func theOldFallbackLimitSpellingGetsAHint() throws {
        let failure = try loadError("caches:\n  - name: deps\n    cache_key:\n      - literal: deps\n      - checksum: lock\n        fallbackLimit: true\n    target_paths: [deps]\n")
        #expect(failure.description.hasPrefix(".buildkite/cache.yml:6:9: "), "\(failure)")
        #expect(failure.message.contains("did you mean 'fallback_limit'?"))
    }

    @Test func keyPartsKeepTheirMandatoryFlagsThroughTheStateFile() throws {
        let yaml = "caches:\n  - name: deps\n    cache_key:\n      - literal: deps\n      - agent: os\n        fallback_limit: true\n      - checksum: lock\n    target_paths: [deps]\n"
        let (configuration, scratch) = try load(yaml)
        let environment = jobEnvironment(scratch)
        let prepared = try PreparedCache.forRestore(configuration, environment: environment, log: CapturedLog().log)
        let parts = try #require(prepared[0].ready?.keyParts)
        #expect(parts.map(\.mandatory) == [true, true, false])
        #expect(parts.map(\.value).joined(separator: "-") == prepared[0].ready?.key)
        let statePath = scratch.path + "/state.json"
        try PreparedCache.state(of: prepared, storeUnreachable: nil).write(to: statePath)
        let handed = PreparedCache.forSave(configuration, environment: environment, state: try StateFile.read(from: statePath),
                                           log: CapturedLog().log)
        #expect(handed[0].ready?.keyParts == parts)
    }

    @Test func withoutSaveScopesOurOwnScopingIsUnchanged() {
        let environment = JobEnvironment(["BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web",
                                          "BUILDKITE_BRANCH": "feature", "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
                                          "BUILDKITE_BUILD_ID": "b-1"])
        #expect(StoreScope.readOrder(environment).map(\.description) == ["acme/web@feature", "acme/web@main"])
        #expect(StoreScope.saving(environment).description == "acme/web@feature")
    }

    @Test(arguments: [
        ([SaveScopes.Scope.branch, .pipeline], "acme/web@feature", ["acme/web@feature", "acme/web@main"]),
        ([.pipeline], "acme/web@*", ["acme/web@*"]),
        ([.branch], "acme/*@feature", ["acme/*@feature", "acme/*@main"]),
        ([], "acme/*@*", ["acme/*@*"]),
        ([.branch, .build, .pipeline], "acme/web@feature~build:b-1", ["acme/web@feature~build:b-1"]),
    ])
    func saveScopesMapOntoOurScoping(enabled: [SaveScopes.Scope], saved: String, read: [String]) {
        let environment = JobEnvironment(["BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web",
                                          "BUILDKITE_BRANCH": "feature", "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
                                          "BUILDKITE_BUILD_ID": "b-1"])
        let scopes = SaveScopes(enabled: Set(enabled))
        #expect(StoreScope.saving(environment, saveScopes: scopes).description == saved)
        #expect(StoreScope.readOrder(environment, saveScopes: scopes).map(\.description) == read)
        #expect(scopes.registryValues(environment).keys.sorted() == enabled.map(\.rawValue).sorted())
    }

    @Test func aDependenciesKeyIsCutAtItsFallbackPrefixes() throws {
        let (configuration, scratch) = try load("dependencies:\n  - id: deps\n    key: 'deps-{{ agent.os }}-{{ checksum \"lock\" }}'\n    fallback_keys: ['deps-{{ agent.os }}-', 'deps-', 'other-']\n    paths: [deps, '~/.x']\n")
        let cache = try ResolvedCache.resolve(configuration.caches[0], environment: jobEnvironment(scratch))
        let (address, unmapped) = RegistryAddress.of(cache)
        #expect(address.targetPaths == ["deps", "~/.x"])
        #expect(address.cacheKey.map(\.value).joined() == cache.key)
        #expect(address.cacheKey.map(\.mandatory) == [true, false, false])
        #expect(address.cacheKey[0].value == "deps-")
        #expect(unmapped == ["other-"])
    }
}
