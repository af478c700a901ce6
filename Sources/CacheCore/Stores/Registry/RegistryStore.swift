#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `store: buildkite` (or `buildkite://REGISTRY`): the cache registry that `buildkite-agent cache`
/// uses, so a step with this plugin and a step with the agent's command share entries.
///
/// It is not a `CacheStore`: the registry matches keys itself (the `cache_key` parts and the
/// fallback limit, see `RegistryAddress`), keeps entries as the agent's zip archives, and hands
/// out upload ids, so restore and save take their own flows (`RegistryRestorer`, `RegistrySaver`)
/// that share staging, swapping and reporting with the others.
public struct RegistryStore: Sendable, CustomStringConvertible, CustomReflectable {
    public let client: RegistryClient
    /// For the blob store the registry names (its URL and credentials are the agent's settings).
    let environment: JobEnvironment
    let log: BuildkiteLog?

    static let tokenVariable = "BUILDKITE_AGENT_ACCESS_TOKEN"
    static let endpointVariable = "BUILDKITE_AGENT_ENDPOINT"

    /// True for `buildkite`, `buildkite://` and `buildkite://NAME`.
    static func names(_ text: String) -> Bool {
        text == "buildkite" || text.hasPrefix("buildkite://")
    }

    /// Opens `text` (see `names`); `source` names the setting for messages.
    static func open(_ text: String, source: String, environment: JobEnvironment, log: BuildkiteLog?) throws -> RegistryStore {
        var registry = text == "buildkite" ? "" : String(text.dropFirst("buildkite://".count))
        while registry.hasSuffix("/") { registry.removeLast() }
        if registry.isEmpty { registry = "~" }
        guard !registry.contains("/"), !registry.contains("?"), !registry.contains("#"), !registry.containsControlCharacters else {
            throw StoreError.badURL("\(source): '\(text.escapingControlCharacters())' must be buildkite://REGISTRY (a registry's slug, "
                + "or ~ for the cluster's default registry)")
        }
        guard let token = environment[tokenVariable], !token.isEmpty else {
            throw StoreError.badURL("\(source) names the agent's cache registry, but \(tokenVariable) is not set; the agent sets it "
                + "for every job, so run the plugin as a hook of a Buildkite job")
        }
        let endpoint = environment[endpointVariable].flatMap { $0.isEmpty ? nil : $0 } ?? RegistryClient.defaultEndpoint
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else {
            throw StoreError.badURL("\(endpointVariable) '\(endpoint)' must be an http(s) URL")
        }
        return RegistryStore(client: RegistryClient(endpoint: endpoint, registry: registry, token: token),
                             environment: environment, log: log)
    }

    public var displayName: String { "buildkite://\(client.registry) (the agent's cache registry)" }
    public var description: String { displayName }
    public var customMirror: Mirror { Mirror(self, children: ["registry": client.registry]) }

    /// The blob store the registry names in `store` (a hard error when we cannot reach it).
    func blobs(_ store: String) throws -> RegistryBlobStore {
        try RegistryBlobStore.open(store: store, environment: environment, log: log)
    }
}
