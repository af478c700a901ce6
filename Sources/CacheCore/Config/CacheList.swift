import CacheYAML

/// A list of cache definitions in either format. The format is told per entry by its keys
/// (`id` for the `dependencies:` shape, `name` for the `caches:` shape), so a list may mix them.
enum CacheList {
    static func decode(_ node: YAMLNode, source: String, context: String) throws(ConfigurationError) -> [CacheDefinition] {
        guard let items = node.sequence else {
            throw ConfigurationError(source: source, mark: node.mark,
                message: "\(context) must be a list of cache definitions, found \(node.kindDescription)")
        }
        var result: [CacheDefinition] = []
        for item in items {
            if item.mapping != nil, item["name"] != nil || item["cache_key"] != nil || item["target_paths"] != nil {
                result.append(try CacheKeyFormat.decode(item, source: source))
            } else {
                result.append(try DependencyFormat.decode(item, source: source))
            }
        }
        return result
    }
}
