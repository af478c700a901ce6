/// Typed views of a node for the configuration layer. Each returns nil when
/// the node is not of that kind, so a caller can report the mismatch with
/// ``kindDescription`` and ``mark``.
///
/// A plain scalar is resolved by the YAML 1.2 core schema; a quoted one is
/// always a string; an explicit tag overrides both (`!!str true` is a string,
/// `!!int "3"` is a number).
extension YAMLNode {
    /// Plain `""`, `~`, `null`, `Null`, `NULL` (or anything tagged `!!null`).
    /// An empty value (`key:`) is null.
    public var isNull: Bool {
        guard case .scalar(let text, let style) = content else { return false }
        if let tag { return tag == CoreSchema.nullTag }
        return style == .plain && CoreSchema.isNull(text)
    }

    /// The scalar's text whatever its style; nil for lists, mappings and null.
    public var string: String? {
        guard case .scalar(let text, _) = content, !isNull else { return nil }
        return text
    }

    /// Plain `true`/`True`/`TRUE`/`false`/`False`/`FALSE` only: `yes`, `no`,
    /// `on` and `off` are strings, as in YAML 1.2 and JSON.
    public var bool: Bool? {
        guard let text = resolvableText(expectedTag: CoreSchema.boolTag) else { return nil }
        return CoreSchema.bool(text)
    }

    /// Plain decimal with an optional sign, `0x…` or `0o…`; nil otherwise or
    /// when the value does not fit in an `Int`.
    public var int: Int? {
        guard let text = resolvableText(expectedTag: CoreSchema.intTag) else { return nil }
        return CoreSchema.int(text)
    }

    public var sequence: [YAMLNode]? {
        guard case .sequence(let items) = content else { return nil }
        return items
    }

    public var mapping: [YAMLPair]? {
        guard case .mapping(let pairs) = content else { return nil }
        return pairs
    }

    /// What the node is, phrased to complete "expected a list, found …".
    public var kindDescription: String {
        switch content {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar:
            if isNull { return "null" }
            if bool != nil { return "a boolean" }
            if int != nil { return "a number" }
            if let text = resolvableText(expectedTag: CoreSchema.floatTag), CoreSchema.isFloat(text) {
                return "a number"
            }
            return "a string"
        }
    }

    /// The value for the first key whose scalar text is `key` (keys are
    /// unique in a loaded mapping). Nil when absent or not a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = content else { return nil }
        for pair in pairs {
            if case .scalar(let text, _) = pair.key.content, text == key {
                return pair.value
            }
        }
        return nil
    }

    /// The text to resolve against a core-schema type: a plain untagged
    /// scalar, or one explicitly tagged with that type.
    private func resolvableText(expectedTag: String) -> String? {
        guard case .scalar(let text, let style) = content else { return nil }
        if let tag { return tag == expectedTag ? text : nil }
        return style == .plain ? text : nil
    }
}
