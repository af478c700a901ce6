/// Runs `work` for every item with at most `limit` running at once, keeping the results in input
/// order.
///
/// It lives beside the retrier because it is the other half of how the plugin runs store calls:
/// the caches of a job and the parts of a transfer both go through it, and a part is retried on
/// its own before it counts as failed.
///
/// What a failure does follows from the type of `work`:
/// - work that cannot throw (a cache, which reports its own failure as its result) never cancels
///   the others, because one broken cache must not cost the job the caches that work;
/// - work that throws (a part of a transfer, already retried) cancels the rest at the first error,
///   which is thrown: a transfer with one part lost for good is lost as a whole.
public func concurrentMap<Item: Sendable, Output: Sendable, Failure: Error>(
    _ items: [Item], limit: Int, _ work: @Sendable @escaping (Item) async throws(Failure) -> Output
) async throws(Failure) -> [Output] {
    let outcome = await withTaskGroup(of: (Int, Result<Output, Failure>).self) { group -> Result<[Output], Failure> in
        @Sendable func run(_ index: Int) async -> (Int, Result<Output, Failure>) {
            do throws(Failure) {
                return (index, .success(try await work(items[index])))
            } catch {
                return (index, .failure(error))
            }
        }
        var results = [Output?](repeating: nil, count: items.count)
        var next = 0
        for _ in 0..<Swift.min(Swift.max(limit, 1), items.count) {
            let index = next
            group.addTask { await run(index) }
            next += 1
        }
        while let (index, result) = await group.next() {
            switch result {
            case .success(let value):
                results[index] = value
            case .failure(let error):
                group.cancelAll()
                return .failure(error)
            }
            if next < items.count {
                let index = next
                group.addTask { await run(index) }
                next += 1
            }
        }
        return .success(results.map { $0! })
    }
    return try outcome.get()
}

/// `concurrentMap` over the indices `0..<count`: the parts of a transfer.
public func concurrentMap<Output: Sendable, Failure: Error>(
    count: Int, limit: Int, _ work: @Sendable @escaping (Int) async throws(Failure) -> Output
) async throws(Failure) -> [Output] {
    try await concurrentMap(Array(0..<count), limit: limit, work)
}
