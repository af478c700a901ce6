/// A list or mapping still being read.
///
/// A class with its own mutable arrays, because appending to an array held
/// in an enum payload copies it every time (quadratic on big documents).
/// It becomes an immutable ``YAMLNode`` once, when the container closes.
final class ContainerBuilder {
    enum Kind {
        case sequence
        case mapping
    }

    /// Mapping entries in document order; merges are expanded on close,
    /// where all explicit keys are known (they win over merged ones).
    private enum Entry {
        case pair(YAMLPair)
        case merge(YAMLNode)
    }

    private enum PendingKey {
        case key(YAMLNode)
        case merge
    }

    let kind: Kind
    let mark: YAMLMark
    let tag: String?
    let anchor: String?

    private var items: [YAMLNode] = []
    private var entries: [Entry] = []
    private var pendingKey: PendingKey?
    /// First position of each scalar key, to name it in a duplicate error.
    private var keyMarks: [String: YAMLMark] = [:]
    private var hasMerge = false
    private var size = 1
    private var height = 1

    init(kind: Kind, mark: YAMLMark, tag: String?, anchor: String?) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
        self.anchor = anchor
    }

    /// Adds the next child: an item of a list, or alternately a key and a
    /// value of a mapping.
    func add(_ child: BuiltNode) throws(YAMLProblem) {
        size += child.size
        height = Swift.max(height, child.height + 1)
        switch kind {
        case .sequence:
            items.append(child.node)
        case .mapping:
            if let key = pendingKey {
                pendingKey = nil
                switch key {
                case .key(let keyNode):
                    entries.append(.pair(YAMLPair(key: keyNode, value: child.node)))
                case .merge:
                    try Self.checkMergeable(child.node)
                    entries.append(.merge(child.node))
                    hasMerge = true
                }
            } else {
                pendingKey = try acceptKey(child.node)
            }
        }
    }

    /// The finished node. A mapping's size and height are those of what was
    /// written; merged pairs were already counted where they were written.
    func finish() -> BuiltNode {
        let content: YAMLNode.Content
        switch kind {
        case .sequence:
            content = .sequence(items)
        case .mapping:
            content = .mapping(hasMerge ? mergedPairs() : entries.map { entry in
                guard case .pair(let pair) = entry else { preconditionFailure("merge entry without hasMerge") }
                return pair
            })
        }
        return BuiltNode(node: YAMLNode(content: content, mark: mark, tag: tag), size: size, height: height)
    }

    private func acceptKey(_ key: YAMLNode) throws(YAMLProblem) -> PendingKey {
        guard case .scalar(let text, let style) = key.content else {
            return .key(key)  // complex keys (`? [a]`) are kept, not compared
        }
        if style == .plain, key.tag == nil, text == "<<" {
            return .merge
        }
        if let first = keyMarks[text] {
            throw YAMLProblem(
                mark: key.mark,
                message: "duplicate key '\(text)' (first defined at line \(first.line)); remove one of them"
            )
        }
        keyMarks[text] = key.mark
        return .key(key)
    }

    /// A merge key takes a mapping, or a list of mappings; anything else is
    /// a mistake worth stopping on rather than silently ignoring.
    private static func checkMergeable(_ value: YAMLNode) throws(YAMLProblem) {
        switch value.content {
        case .mapping:
            return
        case .sequence(let items):
            for item in items where item.mapping == nil {
                throw YAMLProblem(
                    mark: item.mark,
                    message: "a merge key '<<' list may only hold mappings, but this item is \(item.kindDescription)"
                )
            }
        case .scalar:
            throw YAMLProblem(
                mark: value.mark,
                message: "a merge key '<<' needs a mapping or a list of mappings, found \(value.kindDescription)"
            )
        }
    }

    /// Explicit keys win over merged ones wherever they appear; among merged
    /// mappings the earlier one wins (YAML's merge key rules). Merged pairs
    /// take the place of their `<<` entry.
    private func mergedPairs() -> [YAMLPair] {
        var taken = Set(keyMarks.keys)
        var pairs: [YAMLPair] = []
        for entry in entries {
            switch entry {
            case .pair(let pair):
                pairs.append(pair)
            case .merge(let value):
                let sources = value.sequence ?? [value]
                for source in sources {
                    for pair in source.mapping ?? [] {
                        if case .scalar(let text, _) = pair.key.content {
                            guard taken.insert(text).inserted else { continue }
                        }
                        pairs.append(pair)
                    }
                }
            }
        }
        return pairs
    }
}
