import CacheKeys

/// A cache definition made concrete for this job: keys rendered (checksums computed) and paths
/// placed on this agent. Everything that can be wrong with a definition shows up here, before any
/// store call, so a bad definition never costs a network round trip or touches a file.
public struct ResolvedCache: Sendable {
    public let definition: CacheDefinition
    public let key: String
    public let fallbackKeys: [String]
    public let paths: [CachePath]

    public var id: String { definition.id }

    public static func resolve(_ definition: CacheDefinition, environment: JobEnvironment) throws(ConfigurationError) -> ResolvedCache {
        let context = KeyContext(
            cacheID: definition.id,
            checkoutDirectory: environment.checkoutDirectory,
            environment: environment.variables)
        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(source: definition.origin.source, mark: definition.origin.mark,
                               message: "cache '\(definition.id)': \(message)")
        }
        let key: String
        var fallbacks: [String] = []
        do {
            key = try definition.key.render(in: context)
            for template in definition.fallbackKeys {
                let rendered = try template.render(in: context)
                if !fallbacks.contains(rendered) && rendered != key { fallbacks.append(rendered) }
            }
        } catch {
            throw fail("\(error)")
        }
        var paths: [CachePath] = []
        for written in definition.paths {
            do {
                paths.append(try CachePath(written, checkout: environment.checkoutDirectory, home: environment.homeDirectory))
            } catch {
                throw fail("\(error)")
            }
        }
        return ResolvedCache(definition: definition, key: key, fallbackKeys: fallbacks, paths: paths)
    }

    public static func resolveAll(_ configuration: Configuration, environment: JobEnvironment) throws(ConfigurationError) -> [ResolvedCache] {
        var result: [ResolvedCache] = []
        for definition in configuration.caches {
            result.append(try resolve(definition, environment: environment))
        }
        return result
    }

    /// The suffix of exported variable names: `node-modules` → `NODE_MODULES`.
    public var environmentName: String {
        String(id.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
