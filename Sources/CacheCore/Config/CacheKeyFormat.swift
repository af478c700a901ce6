import CacheArchive
import CacheKeys
import CacheYAML

/// The agent's later `caches:` file shape: `name`, `cache_key` (an ordered list of parts) and
/// `target_paths`. Each part is a literal string or one of `{agent: os|arch|branch|pipeline|step}`,
/// `{env: NAME}`, `{checksum: FILE | [GLOB, ...]}`, `{literal: TEXT}`; any part may add
/// `fallback_limit: true` (at most one), and a definition may add `save_scopes` (see `SaveScopes`).
/// The key is the parts joined with `-`; the parts up to and
/// including the fallback limit are mandatory, so the fallback is "every entry whose key starts
/// with the mandatory parts, newest wins". Our own `symlinks` (`anywhere` or `inside`) is accepted
/// here too, so both shapes can set it.
///
/// We translate the parts into the same key templates the `dependencies:` shape uses, so that one
/// renderer and one lookup serve both formats, and keep each part's template too: the agent's
/// cache registry matches part by part (`CacheKeyPart`), so parts must reach it as written.
enum CacheKeyFormat {
    static let keys = ["name", "cache_key", "target_paths", "save_scopes", "symlinks"]
    static let partKeys = ["agent", "env", "checksum", "literal", "fallback_limit"]
    static let agentValues = ["os": "{{ agent.os }}", "arch": "{{ agent.arch }}", "branch": "{{ git.branch }}",
                              "pipeline": "{{ pipeline }}", "step": "{{ env \"BUILDKITE_STEP_KEY\" }}"]

    static func decode(_ node: YAMLNode, source: String) throws(ConfigurationError) -> CacheDefinition {
        var reader = try MappingReader(node, source: source, context: "cache definition")
        guard let name = try reader.nonEmptyString("name"), let nameNode = try reader.value("name") else {
            throw reader.error("a cache in the 'caches:' format needs a 'name' (letters, digits and _)")
        }
        try Validation.checkIdentifier(name, source: source, node: nameNode)

        guard let keyNode = try reader.value("cache_key") else {
            throw reader.error("cache '\(name)' needs a 'cache_key': a list of parts")
        }
        let parts: [YAMLNode]
        if let list = keyNode.sequence { parts = list } else { parts = [keyNode] }
        if parts.isEmpty { throw reader.error("cache '\(name)': 'cache_key' must have at least one part", at: keyNode) }

        var rendered: [String] = []
        var limitIndex: Int?
        for part in parts {
            let (text, isLimit) = try translate(part, cache: name, source: source)
            if isLimit {
                if limitIndex != nil {
                    throw ConfigurationError(source: source, mark: part.mark,
                        message: "cache '\(name)': only one part of 'cache_key' may have 'fallback_limit: true'")
                }
                limitIndex = rendered.count
            }
            rendered.append(text)
        }
        var partTemplates: [KeyPartTemplate] = []
        for (index, text) in rendered.enumerated() {
            let template = try Validation.template(text, what: "cache_key", cache: name, source: source, node: parts[index])
            partTemplates.append(KeyPartTemplate(template: template, mandatory: index <= (limitIndex ?? rendered.count - 1)))
        }
        let keyText = rendered.joined(separator: "-")
        let key = try Validation.template(keyText, what: "cache_key", cache: name, source: source, node: keyNode)
        var fallbacks: [KeyTemplate] = []
        if let limitIndex, limitIndex < rendered.count - 1 {
            let prefix = rendered[...limitIndex].joined(separator: "-") + "-"
            fallbacks.append(try Validation.template(prefix, what: "cache_key", cache: name, source: source, node: keyNode))
        }

        guard let items = try reader.stringList("target_paths") else {
            throw reader.error("cache '\(name)' needs 'target_paths'")
        }
        let paths = try Validation.paths(items, cache: name, source: source)
        if paths.isEmpty { throw reader.error("cache '\(name)': 'target_paths' must not be empty") }
        let saveScopes = try reader.value("save_scopes").map { node throws(ConfigurationError) in
            try SaveScopes.decode(node, cache: name, source: source)
        }
        let symlinks = try Validation.symlinks(&reader)
        try reader.finish(allowed: keys)
        return CacheDefinition(id: name, key: key, fallbackKeys: fallbacks, paths: paths,
                               origin: .init(source: source, mark: node.mark),
                               keyMark: keyNode.mark, fallbackKeyMarks: fallbacks.map { _ in keyNode.mark },
                               pathMarks: items.map(\.1.mark), symlinks: symlinks,
                               keyParts: partTemplates, saveScopes: saveScopes)
    }

    /// One part as template text, and whether it carries the fallback limit.
    private static func translate(_ part: YAMLNode, cache: String, source: String) throws(ConfigurationError) -> (String, Bool) {
        if part.mapping == nil {
            guard let text = part.string, part.sequence == nil, !part.isNull else {
                throw ConfigurationError(source: source, mark: part.mark,
                    message: "cache '\(cache)': each 'cache_key' part must be a string or a mapping, found \(part.kindDescription)")
            }
            return (try literal(text, cache: cache, source: source, node: part), false)
        }
        var reader = try MappingReader(part, source: source, context: "a 'cache_key' part of cache '\(cache)'")
        if reader.has("fallbackLimit") {
            throw reader.error("cache '\(cache)': unknown key 'fallbackLimit' in a 'cache_key' part; did you mean 'fallback_limit'? "
                + "(the agent spelled it fallbackLimit for a month in 2026 and accepts only fallback_limit since)",
                at: part.mapping?.first { $0.key.string == "fallbackLimit" }?.key)
        }
        let isLimit = try reader.bool("fallback_limit") ?? false
        var texts: [String] = []
        if let agent = try reader.choice("agent", from: agentValues.keys.sorted()) {
            texts.append(agentValues[agent]!)
        }
        if let name = try reader.nonEmptyString("env") {
            try checkQuotable(name, cache: cache, source: source, node: try reader.value("env")!)
            texts.append("{{ env \"\(name)\" }}")
        }
        if let files = try reader.stringList("checksum") {
            var quoted: [String] = []
            for (file, node) in files {
                try checkQuotable(file, cache: cache, source: source, node: node)
                quoted.append("\"\(file)\"")
            }
            if quoted.isEmpty {
                throw reader.error("cache '\(cache)': 'checksum' needs at least one file or glob", at: try reader.value("checksum"))
            }
            texts.append("{{ checksum \(quoted.joined(separator: " ")) }}")
        }
        if let text = try reader.string("literal") {
            texts.append(try literal(text, cache: cache, source: source, node: try reader.value("literal")!))
        }
        try reader.finish(allowed: partKeys)
        guard texts.count == 1 else {
            throw reader.error("cache '\(cache)': a 'cache_key' part needs exactly one of agent, env, checksum, literal")
        }
        return (texts[0], isLimit)
    }

    private static func literal(_ text: String, cache: String, source: String, node: YAMLNode) throws(ConfigurationError) -> String {
        if text.contains("{{") || text.contains("}}") {
            throw ConfigurationError(source: source, mark: node.mark,
                message: "cache '\(cache)': a literal 'cache_key' part must not contain '{{' or '}}'")
        }
        return text
    }

    private static func checkQuotable(_ text: String, cache: String, source: String, node: YAMLNode) throws(ConfigurationError) {
        if text.contains("\"") || text.contains("\\") || text.contains("}}") {
            throw ConfigurationError(source: source, mark: node.mark,
                message: "cache '\(cache)': '\(text)' must not contain '\"', '\\' or '}}'")
        }
    }
}
