import CacheYAML

/// A cache file in the repository, as `buildkite-agent cache` reads it: a mapping with a
/// `dependencies:` list or a `caches:` list (both may be present).
enum CacheFile {
    static func load(path: String, displayName: String) throws(ConfigurationError) -> [CacheDefinition] {
        let node: YAMLNode?
        do {
            node = try YAMLLoader.load(contentsOfFile: path, source: displayName)
        } catch {
            throw ConfigurationError(error)
        }
        guard let node else {
            throw ConfigurationError(source: displayName, mark: nil,
                message: "the cache file is empty: give it a 'dependencies:' or 'caches:' list")
        }
        var reader = try MappingReader(node, source: displayName, context: "the cache file")
        var result: [CacheDefinition] = []
        if let list = try reader.value("dependencies") {
            result += try CacheList.decode(list, source: displayName, context: "'dependencies'")
        }
        if let list = try reader.value("caches") {
            result += try CacheList.decode(list, source: displayName, context: "'caches'")
        }
        try reader.finish(allowed: ["dependencies", "caches"])
        if !reader.has("dependencies") && !reader.has("caches") {
            throw reader.error("the cache file needs a 'dependencies:' or 'caches:' list")
        }
        return result
    }
}
