/// A finished node with the two measures the limits need: how many nodes it
/// stands for (so an alias to it costs that many) and how deeply its
/// collections nest (so an alias to it cannot push the tree past maxDepth).
struct BuiltNode {
    let node: YAMLNode
    /// Nodes in the subtree, counting the node itself.
    let size: Int
    /// Collections nested in the subtree: 0 for a scalar, 1 for `[a]`.
    let height: Int
}
