/// Runs `work` for every item with at most `limit` running at once, keeping the results in input
/// order. Each item's failure is its own: the first error does not cancel the others, because one
/// broken cache must not cost the job the caches that work.
func forEachConcurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ work: @Sendable @escaping (Item) async -> Result
) async -> [Result] {
    await withTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: items.count)
        var next = 0
        for _ in 0..<Swift.min(Swift.max(limit, 1), items.count) {
            let index = next
            group.addTask { (index, await work(items[index])) }
            next += 1
        }
        while let (index, result) = await group.next() {
            results[index] = result
            if next < items.count {
                let index = next
                group.addTask { (index, await work(items[index])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
