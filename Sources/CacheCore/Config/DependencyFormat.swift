import CacheArchive
import CacheKeys
import CacheYAML

/// The shape `buildkite-agent cache` reads from a `dependencies:` list, which is also the shape of
/// our `caches:` plugin option: `id`, `key`, `fallback_keys`, `paths`, `template` (a preset whose
/// key, fallbacks and paths fill in whatever the entry leaves out), `registry` (the agent's cache
/// registry name, accepted so the file works unchanged; it does not apply to our stores), and our own
/// `symlinks` (`anywhere` or `inside`).
enum DependencyFormat {
    static let keys = ["id", "key", "fallback_keys", "paths", "template", "registry", "symlinks"]

    static func decode(_ node: YAMLNode, source: String) throws(ConfigurationError) -> CacheDefinition {
        var reader = try MappingReader(node, source: source, context: "cache definition")
        let idNode = try reader.value("id")
        guard let id = try reader.nonEmptyString("id"), let idNode else {
            throw reader.error("a cache definition needs an 'id' (letters, digits and _)")
        }
        try Validation.checkIdentifier(id, source: source, node: idNode)

        var preset: CachePreset?
        if let name = try reader.nonEmptyString("template") {
            guard let found = CachePreset.named(name) else {
                let names = CachePreset.all.map(\.name).joined(separator: ", ")
                throw reader.error("cache '\(id)': unknown template '\(name)' (known: \(names))",
                                   at: try reader.value("template"))
            }
            preset = found
        }
        _ = try reader.string("registry")

        let keyText: String
        let keyNode = try reader.value("key")
        if let text = try reader.string("key") {
            keyText = text
        } else if let preset {
            keyText = preset.key
        } else {
            throw reader.error("cache '\(id)' needs a 'key' (or a 'template' that provides one)")
        }
        let key = try Validation.template(keyText, what: "key", cache: id, source: source, node: keyNode ?? node)

        var fallbacks: [KeyTemplate] = []
        var fallbackMarks: [YAMLMark?] = []
        if let items = try reader.stringList("fallback_keys") {
            for (text, item) in items {
                fallbacks.append(try Validation.template(text, what: "fallback key", cache: id, source: source, node: item))
                fallbackMarks.append(item.mark)
            }
        } else if preset != nil, reader.has("key") {
            // The preset's fallback starts like the preset's key, never like this one: derive it
            // from this key instead (its text before the first checksum), or have none.
            if let prefix = key.textBeforeFirstChecksum {
                fallbacks.append(try Validation.template(prefix, what: "fallback key", cache: id, source: source, node: keyNode ?? node))
                fallbackMarks.append((keyNode ?? node).mark)
            }
        } else if let preset {
            for text in preset.fallbackKeys {
                fallbacks.append(try Validation.template(text, what: "fallback key", cache: id, source: source, node: node))
                fallbackMarks.append(node.mark)
            }
        }

        let paths: [String]
        let pathMarks: [YAMLMark?]
        if let items = try reader.stringList("paths") {
            paths = try Validation.paths(items, cache: id, source: source)
            pathMarks = items.map(\.1.mark)
        } else if let preset {
            paths = preset.paths
            pathMarks = paths.map { _ in node.mark }
        } else {
            throw reader.error("cache '\(id)' needs 'paths' (or a 'template' that provides them)")
        }
        if paths.isEmpty { throw reader.error("cache '\(id)': 'paths' must not be empty") }

        let symlinks = try Validation.symlinks(&reader)
        try reader.finish(allowed: keys)
        return CacheDefinition(
            id: id, key: key, fallbackKeys: fallbacks, paths: paths,
            origin: .init(source: source, mark: node.mark),
            keyMark: (keyNode ?? node).mark, fallbackKeyMarks: fallbackMarks, pathMarks: pathMarks, symlinks: symlinks,
            preset: preset.flatMap { reader.has("key") ? nil : ($0.name, $0.lockFiles) })
    }
}
