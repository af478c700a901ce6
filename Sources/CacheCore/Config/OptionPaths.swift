import CacheYAML

/// The option path of every node of the plugin options (`caches[0].fallback_keys`), so that an
/// error found at a position of the JSON the agent wrote can name what the user wrote instead.
/// A key and its value share the path of the key; the first node seen at a position wins, which
/// is the outermost one (a mapping starts where nothing inside it does).
struct OptionPaths: Sendable {
    let source: String
    private var paths: [YAMLMark: String] = [:]

    init(root: YAMLNode, source: String) {
        self.source = source
        record(root, path: "")
    }

    private mutating func record(_ node: YAMLNode, path: String) {
        if paths[node.mark] == nil { paths[node.mark] = path }
        switch node.content {
        case .scalar:
            break
        case .sequence(let items):
            for (index, item) in items.enumerated() { record(item, path: "\(path)[\(index)]") }
        case .mapping(let pairs):
            for pair in pairs {
                let name = pair.key.string ?? "?"
                let child = path.isEmpty ? name : "\(path).\(name)"
                if paths[pair.key.mark] == nil { paths[pair.key.mark] = child }
                record(pair.value, path: child)
            }
        }
    }

    /// Where a definition was written: its option path when it is in these options.
    func describe(_ origin: CacheDefinition.Origin) -> String {
        guard origin.source == source, let mark = origin.mark, let path = paths[mark], !path.isEmpty else {
            return origin.description
        }
        return "option \(path)"
    }

    /// The error with its option path when it points into these options; unchanged otherwise.
    func locating(_ error: ConfigurationError) -> ConfigurationError {
        guard error.optionPath == nil, error.source == source, let mark = error.mark, let path = paths[mark] else {
            return error
        }
        if path.isEmpty { return ConfigurationError(source: source, mark: nil, message: error.message) }
        return ConfigurationError(source: source, mark: mark, message: error.message, optionPath: path)
    }
}
