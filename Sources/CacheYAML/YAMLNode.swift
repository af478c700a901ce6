/// How a scalar was written. Kept because it changes meaning: a plain `true`
/// is a boolean, a quoted `"true"` is a string.
public enum YAMLScalarStyle: Sendable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One node of a loaded YAML document, with the position it came from.
///
/// A value type: an alias shares its anchored node's storage instead of
/// copying it, so expanding aliases costs no memory beyond the references.
/// Nodes are only made by ``YAMLLoader``, which bounds their nesting by
/// ``YAMLLimits/maxDepth``; that bound is what keeps everything that walks a
/// tree recursively (including its release) within a small stack.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(String, YAMLScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public let content: Content
    /// Where the node starts. An alias yields the anchored node, so its mark
    /// is the anchor's: that is where the text a user must edit lives.
    public let mark: YAMLMark
    /// The explicit tag, resolved by libyaml (`!!str` becomes
    /// `tag:yaml.org,2002:str`); nil when the node has none.
    public let tag: String?

    init(content: Content, mark: YAMLMark, tag: String?) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }
}

/// One key and its value, in document order.
public struct YAMLPair: Sendable {
    public let key: YAMLNode
    public let value: YAMLNode

    init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}
