import CacheYAML

/// The agent's `save_scopes` of a `caches:` definition: which of the job's `branch`, `build` and
/// `pipeline` a saved entry belongs to. Only the scopes set to `true` count; a definition without
/// `save_scopes` keeps this plugin's own scoping (pipeline and branch, see `StoreScope`).
public struct SaveScopes: Sendable, Equatable, Codable {
    public enum Scope: String, Sendable, CaseIterable, Codable, Comparable {
        case branch, build, pipeline
        public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }
    }

    /// The enabled scopes; the disabled ones are dropped, as the agent drops them.
    public let enabled: Set<Scope>

    public init(enabled: Set<Scope>) {
        self.enabled = enabled
    }

    public func contains(_ scope: Scope) -> Bool { enabled.contains(scope) }

    /// The registry's `scopes` object: each enabled scope with the job's value for it, `{}` when
    /// none is enabled (the agent never sends `null`).
    public func registryValues(_ environment: JobEnvironment) -> [String: String] {
        var values: [String: String] = [:]
        for scope in enabled {
            switch scope {
            case .branch: values[scope.rawValue] = environment.branch
            case .build: values[scope.rawValue] = environment["BUILDKITE_BUILD_ID"] ?? "local"
            case .pipeline: values[scope.rawValue] = environment.pipeline
            }
        }
        return values
    }

    /// Reads the mapping, with the agent's wording for a scope it does not know.
    static func decode(_ node: YAMLNode, cache: String, source: String) throws(ConfigurationError) -> SaveScopes {
        guard let pairs = node.mapping else {
            throw ConfigurationError(source: source, mark: node.mark,
                message: "cache '\(cache)': 'save_scopes' must be a mapping of branch, build or pipeline to true or false, "
                    + "found \(node.kindDescription)")
        }
        let unknown = pairs.compactMap { $0.key.string }.filter { Scope(rawValue: $0) == nil }
        if !unknown.isEmpty {
            let mark = pairs.first { Scope(rawValue: $0.key.string ?? "") == nil }?.key.mark ?? node.mark
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            let supported = Scope.allCases.map(\.rawValue).sorted().joined(separator: ", ")
            throw ConfigurationError(source: source, mark: mark,
                message: "cache '\(cache)': save_scopes: unsupported scope(s) \(names) (supported: \(supported))")
        }
        var reader = try MappingReader(node, source: source, context: "'save_scopes' of cache '\(cache)'")
        var enabled: Set<Scope> = []
        for scope in Scope.allCases where try reader.bool(scope.rawValue) == true {
            enabled.insert(scope)
        }
        try reader.finish(allowed: Scope.allCases.map(\.rawValue))
        return SaveScopes(enabled: enabled)
    }
}
