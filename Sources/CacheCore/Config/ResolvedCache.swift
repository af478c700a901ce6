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

    public var id: String { definition.id }
    /// Which symlinks the restore creates (and, under `inside`, the save accepts).
    public var symlinks: SymlinkPolicy { definition.symlinks ?? .anywhere }

    public static func resolve(_ definition: CacheDefinition, environment: JobEnvironment) throws(ConfigurationError) -> ResolvedCache {
        let context = KeyContext(
            cacheID: definition.id,
            checkoutDirectory: environment.checkoutDirectory,
            environment: environment.variables)
        func fail(_ message: String, at mark: YAMLMark? = nil) -> ConfigurationError {
            ConfigurationError(source: definition.origin.source, mark: mark ?? definition.origin.mark,
                               message: "cache '\(definition.id)': \(message)")
        }
        /// A key is data from branches and environment values; a control character in it could
        /// become a log section or an export line of its own, so it is a mistake to fix, not data.
        func checked(_ rendered: String, what: String, at mark: YAMLMark?) throws(ConfigurationError) -> String {
            for name in environment.nonUTF8Names.sorted() {
                if let value = environment.variables[name], !value.isEmpty, rendered.contains(value) {
                    throw fail("the \(what) takes the value of \(name), which holds bytes that are not UTF-8; "
                               + "two different values would make one key. Use UTF-8, or leave it out of the key", at: mark)
                }
            }
            if rendered.containsControlCharacters {
                throw fail("the \(what) renders to '\(rendered.escapingControlCharacters())', which holds a control character "
                           + "(a line break, tab or escape, from a branch name or an environment value); "
                           + "keys must be printable text", at: mark)
            }
            return rendered
        }
        let key: String
        var fallbacks: [String] = []
        do {
            key = try definition.key.render(in: context)
        } catch {
            throw fail("\(error)")
        }
        _ = try checked(key, what: "key", at: definition.keyMark)
        for (index, template) in definition.fallbackKeys.enumerated() {
            let rendered: String
            do {
                rendered = try template.render(in: context)
            } catch {
                throw fail("\(error)")
            }
            let mark = index < definition.fallbackKeyMarks.count ? definition.fallbackKeyMarks[index] : nil
            _ = try checked(rendered, what: "fallback key", at: mark)
            if !fallbacks.contains(rendered) && rendered != key { fallbacks.append(rendered) }
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

    /// The suffix of exported variable names: `node_modules` → `NODE_MODULES`. Ids are ASCII
    /// letters, digits and `_` (checked at load time); anything else would become `_`.
    public var environmentName: String {
        String(decoding: id.utf8.map { byte -> UInt8 in
            switch byte {
            case 0x61...0x7A: byte - 0x20
            case 0x41...0x5A, 0x30...0x39: byte
            default: 0x5F
            }
        }, as: UTF8.self)
    }
}
