import CacheYAML

/// What must hold for any input to ``YAMLLoader``, whatever the bytes: the loader may refuse the
/// input with a `YAMLError` (that is its job), but it must not crash, hang or blow up memory, and
/// what it returns must be as documented. Both the libFuzzer entry point and the corpus replay
/// call `check`, so a reproducer found by the fuzzer fails the same way in a normal build.
enum YAMLLoaderProperty {
    /// The production limits: fuzzing smaller ones would miss what real configurations can reach.
    static let limits = YAMLLimits.default

    /// Nil when the property holds, otherwise what was violated (the caller decides whether that
    /// aborts, for libFuzzer, or is listed, for the replay).
    static func check(_ bytes: [UInt8]) -> String? {
        let root: YAMLNode?
        do {
            root = try YAMLLoader.load(bytes: bytes, source: "fuzz-input", limits: limits)
        } catch {
            return checkError(error)
        }
        guard let root else { return nil }
        return checkTree(root)
    }

    /// A refusal must still point at a real place (editors count from 1) and be printable.
    private static func checkError(_ error: YAMLError) -> String? {
        if let mark = error.mark, mark.line < 1 || mark.column < 1 {
            return "YAMLError has mark \(mark), but marks are 1-based: \(error.description)"
        }
        if error.message.isEmpty {
            return "YAMLError has an empty message"
        }
        return nil
    }

    /// Checks every distinct node's mark and that the tree, with every alias expanded, keeps the
    /// limits it was loaded with; then renders small trees (the rendering must not trap either).
    private static func checkTree(_ root: YAMLNode) -> String? {
        var measure = TreeMeasure(limits: limits)
        do {
            let (size, _) = try measure.sizeAndHeight(of: root, depth: 0)
            // The flow rendering is linear in the expanded tree: only small ones, so that alias
            // bombs do not dominate the fuzzer's time.
            if size <= 10_000 {
                _ = root.description
            }
            return nil
        } catch {
            return error.description
        }
    }
}

struct TreeViolation: Error, CustomStringConvertible {
    let description: String
}

/// Measures a loaded tree as if every alias were expanded, but in time proportional to the
/// document: an alias shares its anchor's child array, so each array is measured once, keyed by
/// its storage (stable while the tree is alive, since nodes are immutable). Without that, one
/// "billion laughs" input within the node limit costs a million visits and slows the fuzzer.
struct TreeMeasure {
    let limits: YAMLLimits
    /// Size (nodes, the collection included) and height (nested collections) per child array.
    private var measured: [UnsafeRawPointer: (size: Int, height: Int)] = [:]

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    /// `depth` is the number of collections around `node`. Recursion stops as soon as a limit is
    /// exceeded, so it never goes deeper than `maxDepth` levels.
    mutating func sizeAndHeight(of node: YAMLNode, depth: Int) throws(TreeViolation) -> (size: Int, height: Int) {
        if node.mark.line < 1 || node.mark.column < 1 {
            throw TreeViolation(description: "node \(node.kindDescription) has mark \(node.mark), but marks are 1-based")
        }
        let children: [YAMLNode]
        let storage: UnsafeRawPointer?
        switch node.content {
        case .scalar:
            // The typed views the configuration layer reads; they must not trap on any text.
            _ = (node.isNull, node.string, node.bool, node.int, node.kindDescription)
            return (1, 0)
        case .sequence(let items):
            storage = items.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
            children = items
        case .mapping(let pairs):
            storage = pairs.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
            children = pairs.flatMap { [$0.key, $0.value] }
        }
        if let storage, let known = measured[storage] {
            try check(known, depth: depth)
            return known
        }
        var result = (size: 1, height: 1)
        try check(result, depth: depth)
        for child in children {
            let measure = try sizeAndHeight(of: child, depth: depth + 1)
            result.size += measure.size
            result.height = Swift.max(result.height, measure.height + 1)
            try check(result, depth: depth)
        }
        if let storage { measured[storage] = result }
        return result
    }

    private func check(_ measure: (size: Int, height: Int), depth: Int) throws(TreeViolation) {
        if depth + measure.height > limits.maxDepth {
            throw TreeViolation(description: "collections nest \(depth + measure.height) deep, more than maxDepth = \(limits.maxDepth)")
        }
        if measure.size > limits.maxNodes {
            throw TreeViolation(description: "the loaded tree expands to more than maxNodes = \(limits.maxNodes) nodes")
        }
    }
}
