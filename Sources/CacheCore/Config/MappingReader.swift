import CacheYAML

/// Reads one YAML mapping field by field and remembers which keys were asked for, so that
/// `finish()` can reject every key nobody asked for. Unknown keys are errors, never ignored: a
/// misspelt `fallback-keys` silently doing nothing is the kind of bug a cache plugin must not have.
struct MappingReader {
    let source: String
    let node: YAMLNode
    /// What this mapping is, for messages: "plugin configuration", "cache 'node_modules'".
    let context: String
    private let pairs: [YAMLPair]
    private var consumed: Set<String> = []

    init(_ node: YAMLNode, source: String, context: String) throws(ConfigurationError) {
        guard let pairs = node.mapping else {
            throw ConfigurationError(
                source: source, mark: node.mark,
                message: "\(context) must be a mapping, found \(node.kindDescription)")
        }
        for pair in pairs where pair.key.string == nil || pair.key.mapping != nil || pair.key.sequence != nil {
            throw ConfigurationError(
                source: source, mark: pair.key.mark,
                message: "keys in \(context) must be strings, found \(pair.key.kindDescription)")
        }
        self.source = source
        self.node = node
        self.context = context
        self.pairs = pairs
    }

    func error(_ message: String, at node: YAMLNode? = nil) -> ConfigurationError {
        ConfigurationError(source: source, mark: (node ?? self.node).mark, message: message)
    }

    var keys: [String] { pairs.compactMap { $0.key.string } }

    func has(_ key: String) -> Bool { keys.contains(key) }

    /// The raw node for `key`, or nil when absent. A `null` value is an error: the agent drops every
    /// plugin variable when an option is null, so we never accept one.
    mutating func value(_ key: String) throws(ConfigurationError) -> YAMLNode? {
        consumed.insert(key)
        guard let pair = pairs.first(where: { $0.key.string == key }) else { return nil }
        if pair.value.isNull {
            throw error("'\(key)' in \(context) is null: give it a value or remove the key", at: pair.value)
        }
        return pair.value
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = try value(key) else { return nil }
        guard let text = node.string, node.sequence == nil, node.mapping == nil else {
            throw error("'\(key)' in \(context) must be a string, found \(node.kindDescription)", at: node)
        }
        return text
    }

    mutating func nonEmptyString(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key) else { return nil }
        if text.trimmingWhitespace.isEmpty {
            throw error("'\(key)' in \(context) must not be empty", at: try value(key))
        }
        return text
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = try value(key) else { return nil }
        guard let flag = node.bool else {
            throw error("'\(key)' in \(context) must be true or false, found \(node.kindDescription)", at: node)
        }
        return flag
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let node = try value(key) else { return nil }
        guard let number = node.int else {
            throw error("'\(key)' in \(context) must be a whole number, found \(node.kindDescription)", at: node)
        }
        guard range.contains(number) else {
            throw error(
                "'\(key)' in \(context) must be between \(range.lowerBound) and \(range.upperBound), got \(number)",
                at: node)
        }
        return number
    }

    /// A list of strings; a single string is accepted as a list of one, as the agent does.
    mutating func stringList(_ key: String) throws(ConfigurationError) -> [(String, YAMLNode)]? {
        guard let node = try value(key) else { return nil }
        if node.sequence == nil, node.mapping == nil, node.int == nil, node.bool == nil, let single = node.string {
            return [(single, node)]
        }
        guard let items = node.sequence else {
            throw error("'\(key)' in \(context) must be a list of strings, found \(node.kindDescription)", at: node)
        }
        var result: [(String, YAMLNode)] = []
        for item in items {
            guard let text = item.string, item.sequence == nil, item.mapping == nil, !item.isNull else {
                throw error("each item of '\(key)' in \(context) must be a string, found \(item.kindDescription)", at: item)
            }
            result.append((text, item))
        }
        return result
    }

    /// One of a fixed set of words.
    mutating func choice(_ key: String, from allowed: [String]) throws(ConfigurationError) -> String? {
        guard let text = try string(key) else { return nil }
        guard allowed.contains(text) else {
            throw error(
                "'\(key)' in \(context) must be one of \(allowed.joined(separator: ", ")), got '\(text)'",
                at: try value(key))
        }
        return text
    }

    /// Rejects every key that no accessor asked for, naming it and what is allowed.
    func finish(allowed: [String]? = nil) throws(ConfigurationError) {
        for pair in pairs {
            guard let key = pair.key.string else {
                throw error("keys in \(context) must be strings, found \(pair.key.kindDescription)", at: pair.key)
            }
            if !consumed.contains(key) {
                let known = (allowed ?? consumed.sorted()).joined(separator: ", ")
                throw error("unknown key '\(key)' in \(context) (known keys: \(known))", at: pair.key)
            }
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
