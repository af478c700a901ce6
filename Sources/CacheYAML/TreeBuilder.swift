/// Builds one document's tree from parser events, enforcing the limits.
///
/// Iterative by design: open containers live on an explicit stack, so a
/// deeply nested input costs heap, never call stack, and is refused at
/// ``YAMLLimits/maxDepth`` before it costs much of either.
struct TreeBuilder {
    private let limits: YAMLLimits
    private var open: [ContainerBuilder] = []
    private var anchors: [String: BuiltNode] = [:]
    private var nodeCount = 0
    private(set) var root: BuiltNode?

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    /// Feeds one node event (scalar, alias, collection start or end).
    mutating func handle(_ event: ParserEvent) throws(YAMLProblem) {
        switch event {
        case .scalar(let text, let style, let tag, let anchor, let mark):
            try count(1, at: mark)
            let node = YAMLNode(content: .scalar(text, style), mark: mark, tag: tag)
            try attach(BuiltNode(node: node, size: 1, height: 0), anchor: anchor)
        case .sequenceStart(let tag, let anchor, let mark):
            try open(.sequence, mark: mark, tag: tag, anchor: anchor)
        case .mappingStart(let tag, let anchor, let mark):
            try open(.mapping, mark: mark, tag: tag, anchor: anchor)
        case .sequenceEnd, .mappingEnd:
            guard let container = open.popLast() else {
                preconditionFailure("libyaml closed a collection that was never opened")
            }
            try attach(container.finish(), anchor: container.anchor)
        case .alias(let name, let mark):
            try expandAlias(name, at: mark)
        case .streamStart, .streamEnd, .documentStart, .documentEnd:
            preconditionFailure("TreeBuilder only handles node events")
        }
    }

    private mutating func open(
        _ kind: ContainerBuilder.Kind, mark: YAMLMark, tag: String?, anchor: String?
    ) throws(YAMLProblem) {
        guard open.count < limits.maxDepth else {
            throw YAMLProblem(
                mark: mark,
                message: "lists and mappings nest deeper than the limit of \(limits.maxDepth) levels; flatten the document"
            )
        }
        try count(1, at: mark)
        open.append(ContainerBuilder(kind: kind, mark: mark, tag: tag, anchor: anchor))
    }

    private mutating func expandAlias(_ name: String, at mark: YAMLMark) throws(YAMLProblem) {
        if open.contains(where: { $0.anchor == name }) {
            throw YAMLProblem(
                mark: mark,
                message: "alias '*\(name)' refers to a node that contains it; recursive aliases are not supported"
            )
        }
        guard let target = anchors[name] else {
            throw YAMLProblem(
                mark: mark,
                message: "unknown alias '*\(name)'; define the anchor '&\(name)' before using it"
            )
        }
        guard open.count + target.height <= limits.maxDepth else {
            throw YAMLProblem(
                mark: mark,
                message: "alias '*\(name)' makes lists and mappings nest deeper than the limit of \(limits.maxDepth) levels"
            )
        }
        // The whole subtree counts: this is what stops a "billion laughs"
        // document after a bounded amount of work.
        try count(target.size, at: mark)
        try attach(target, anchor: nil)
    }

    private mutating func count(_ nodes: Int, at mark: YAMLMark) throws(YAMLProblem) {
        // Compared as a difference so a huge maxNodes cannot overflow.
        guard nodes <= limits.maxNodes - nodeCount else {
            throw YAMLProblem(
                mark: mark,
                message: "too many nodes (alias expansion?): the document expands to more than \(limits.maxNodes) nodes; check for aliases that repeat large anchors"
            )
        }
        nodeCount += nodes
    }

    private mutating func attach(_ built: BuiltNode, anchor: String?) throws(YAMLProblem) {
        if let anchor {
            anchors[anchor] = built  // a later anchor of the same name replaces it, as YAML says
        }
        if let parent = open.last {
            try parent.add(built)
        } else {
            root = built
        }
    }
}
