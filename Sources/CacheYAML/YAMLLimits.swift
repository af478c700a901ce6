/// Bounds that keep a hostile or broken document from exhausting the stack,
/// memory or time of the process that loads it.
public struct YAMLLimits: Sendable {
    /// Most lists and mappings nested inside one another, counting nesting
    /// that alias expansion creates. Keep it modest: code that walks a tree
    /// recursively (including Swift releasing it) uses stack per level.
    public var maxDepth: Int
    /// Most nodes in the document, where every alias counts the whole
    /// subtree it stands for. This is what stops a "billion laughs" document.
    public var maxNodes: Int
    /// Largest input accepted, checked before any parsing.
    public var maxBytes: Int

    public init(maxDepth: Int = 256, maxNodes: Int = 1_000_000, maxBytes: Int = 16 * 1024 * 1024) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxBytes = maxBytes
    }

    /// Depth 256, 1,000,000 nodes, 16 MiB: far above any real cache
    /// configuration, far below what would hurt a build agent.
    public static let `default` = YAMLLimits()
}
