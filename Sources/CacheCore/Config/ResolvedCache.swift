import CacheArchive
import CacheKeys
import CacheYAML

/// A cache definition made concrete for this job: keys rendered (checksums computed) and paths
/// placed on this agent. Everything that can be wrong with a definition shows up here, before any
/// store call, so a bad definition never costs a network round trip or touches a file.
public struct ResolvedCache: Sendable {
    public let definition: CacheDefinition
    public let key: String
    public let fallbackKeys: [String]
    public let paths: [CachePath]
    /// The rendered parts of a `caches:` key (nil for the other formats), for the agent's registry.
    public var keyParts: [CacheKeyPart]? = nil

    public var id: String { definition.id }
    /// Which symlinks the restore creates (and, under `inside`, the save accepts).
    public var symlinks: SymlinkPolicy { definition.symlinks ?? .anywhere }

    public static func resolve(_ definition: CacheDefinition, environment: JobEnvironment) throws(ConfigurationError) -> ResolvedCache {
        let context = KeyContext(
            cacheID: definition.id,
            checkoutDirectory: environment.checkoutDirectory,
            environment: environment.variables)
        let key: String
        var fallbacks: [String] = []
        do {
            key = try definition.key.render(in: context)
        } catch {
            throw definition.error("\(error)", at: definition.keyMark)
        }
        try checkKey(key, what: "key", of: definition, at: definition.keyMark, environment: environment)
        for (index, template) in definition.fallbackKeys.enumerated() {
            let mark = index < definition.fallbackKeyMarks.count ? definition.fallbackKeyMarks[index] : nil
            let rendered: String
            do {
                rendered = try template.render(in: context)
            } catch {
                throw definition.error("\(error)", at: mark)
            }
            try checkKey(rendered, what: "fallback key", of: definition, at: mark, environment: environment)
            if !fallbacks.contains(rendered) && rendered != key { fallbacks.append(rendered) }
        }
        var parts: [CacheKeyPart]?
        if let templates = definition.keyParts {
            parts = []
            for part in templates {
                do {
                    parts?.append(CacheKeyPart(value: try part.template.render(in: context), mandatory: part.mandatory))
                } catch {
                    throw definition.error("\(error)", at: definition.keyMark)
                }
            }
        }
        return try withKeys(definition, key: key, fallbackKeys: fallbacks, keyParts: parts, environment: environment)
    }

    /// The cache with keys resolved earlier (by pre-command, handed over in the state file): only
    /// the paths are placed. The keys must already have passed `checkKey`.
    static func withKeys(_ definition: CacheDefinition, key: String, fallbackKeys: [String], keyParts: [CacheKeyPart]? = nil,
                         environment: JobEnvironment) throws(ConfigurationError) -> ResolvedCache {
        var paths: [CachePath] = []
        for written in definition.paths {
            do {
                paths.append(try CachePath(written, checkout: environment.checkoutDirectory, home: environment.homeDirectory))
            } catch {
                throw definition.error("\(error)")
            }
        }
        return ResolvedCache(definition: definition, key: key, fallbackKeys: fallbackKeys, paths: paths, keyParts: keyParts)
    }

    /// A key is data from branches and environment values; a control character in it could
    /// become a log section or an export line of its own, so it is a mistake to fix, not data.
    /// A value that was not UTF-8 is refused too: read as text, two different values would make
    /// one key.
    static func checkKey(_ rendered: String, what: String, of definition: CacheDefinition,
                         at mark: YAMLMark?, environment: JobEnvironment? = nil) throws(ConfigurationError) {
        for name in (environment?.nonUTF8Names ?? []).sorted() {
            if let value = environment?.variables[name], !value.isEmpty, rendered.contains(value) {
                throw definition.error("the \(what) takes the value of \(name), which holds bytes that are not UTF-8; "
                                       + "two different values would make one key. Use UTF-8, or leave it out of the key", at: mark)
            }
        }
        if rendered.containsControlCharacters {
            throw definition.error("the \(what) renders to '\(rendered.escapingControlCharacters())', which holds a control character "
                                   + "(a line break, tab or escape, from a branch name or an environment value); "
                                   + "keys must be printable text", at: mark)
        }
    }

    /// Why a cache that a preset keys on a lock file cannot be used in this checkout, or nil.
    /// A repository without the lock file (a Go module with no go.sum, a Swift library without
    /// Package.resolved) has nothing to key the cache on; that is routine, not a broken setup.
    static func missingLockFile(_ definition: CacheDefinition, environment: JobEnvironment) -> String? {
        guard let preset = definition.preset else { return nil }
        do {
            _ = try FileChecksum.checksum(of: preset.lockFiles, in: environment.checkoutDirectory)
            return nil
        } catch {
            let names = preset.lockFiles.map { "'\($0)'" }.joined(separator: " or ")
            return "its template '\(preset.name)' keys it on \(names), which is not in the checkout "
                + "(\(environment.checkoutDirectory)); skipping it (commit the lock file to cache it)"
        }
    }

    public static func resolveAll(_ configuration: Configuration, environment: JobEnvironment) throws(ConfigurationError) -> [ResolvedCache] {
        var result: [ResolvedCache] = []
        for definition in configuration.caches {
            do {
                result.append(try resolve(definition, environment: environment))
            } catch {
                throw configuration.locating(error)
            }
        }
        try checkPlacedPathsDoNotOverlap(result)
        return result
    }

    /// The load-time check compares paths as written; here `~/x` and `/home/me/x` meet too.
    static func checkPlacedPathsDoNotOverlap(_ caches: [ResolvedCache]) throws(ConfigurationError) {
        var earlier: [(path: CachePath, cache: ResolvedCache, index: Int)] = []
        for cache in caches {
            for (index, path) in cache.paths.enumerated() {
                if let clash = earlier.first(where: { PathOverlap.overlaps($0.path.absolutePath, path.absolutePath) }) {
                    let mine = "'\(path.written)' (\(path.absolutePath))"
                    let theirs = "'\(clash.path.written)' (\(clash.path.absolutePath))"
                    let message = clash.cache.id == cache.id
                        ? "cache '\(cache.id)': path \(mine) overlaps its path \(theirs) on this agent; keep only the outer path"
                        : PathOverlap.overlapMessage(cache.id, mine, clash.cache.id, theirs,
                                                     at: PathOverlap.position(clash.cache.definition, path: clash.index))
                    throw ConfigurationError(source: cache.definition.origin.source, mark: cache.definition.mark(ofPath: index),
                                             message: message)
                }
                earlier.append((path, cache, index))
            }
        }
    }

    /// The suffix of exported variable names: `node_modules` → `NODE_MODULES`.
    public var environmentName: String { Self.environmentName(of: id) }

    /// Ids are ASCII letters, digits and `_` (checked at load time); anything else would become `_`.
    static func environmentName(of id: String) -> String {
        String(decoding: id.utf8.map { byte -> UInt8 in
            switch byte {
            case 0x61...0x7A: byte - 0x20
            case 0x41...0x5A, 0x30...0x39: byte
            default: 0x5F
            }
        }, as: UTF8.self)
    }
}
